//! Findings people can trust: what the spec allows is never a warning, and a team sets its own
//! policy per code (`[severity]`, `--severity`), seen by every output and by `rules`.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use assert_cmd::Command;
use serde_json::Value;

const NOW: &str = "1796150000";

fn check(args: &[&str], stdin: &str) -> std::process::Output {
    Command::cargo_bin("ecapi-scope")
        .unwrap()
        .arg("check")
        .args(args)
        .write_stdin(stdin.to_owned())
        .output()
        .unwrap()
}

fn records(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Realistic valid events: an app deep link, private and documentation-range addresses (the
/// spec's own example sends 172.16.254.3), IPv6, and no user_data at all.
fn valid_events() -> String {
    let ts = 1_796_149_990;
    let base = |id: &str, extra: &str| {
        format!(
            r#"{{"data_set_id":"game-studio","id":"{id}","timestamp":{ts},"event_type":"install","source":"app"{extra}}}"#
        )
    };
    [
        base("e1", r#","properties":{"page_url":"app://game.example.net/install"}"#),
        base("e2", r#","properties":{"page_url":"android-app://com.example.game/https/example.net/p"}"#),
        base("e3", r#","properties":{"page_url":"mygame://level/3?ref=push"}"#),
        base("e4", r#","user_data":{"event_ip_address":"172.16.254.3","event_user_agent":"Mozilla/5.0"}"#),
        base("e5", r#","user_data":{"event_ip_address":"192.0.2.10","event_user_agent":"Mozilla/5.0"}"#),
        base("e6", r#","user_data":{"event_ip_address":"2001:db8::1","event_user_agent":"Mozilla/5.0"}"#),
        base("e7", r#","user_data":{"event_ip_address":"fd12:3456:789a::1","landing_ip_address":"10.0.0.7","event_user_agent":"Mozilla/5.0"}"#),
        base("e8", ""),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn valid_events_get_no_warning() {
    let out = check(
        &[
            "-",
            "--now",
            NOW,
            "--fail-on",
            "warning",
            "--format",
            "ndjson",
        ],
        &valid_events(),
    );
    let recs = records(&out);
    assert_eq!(recs.len(), 8);
    for r in &recs {
        assert_eq!(r["status"], "ok", "{r}");
    }
    assert_eq!(out.status.code(), Some(0), "no warning: exit 0");
    let infos: Vec<_> = recs
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap().clone())
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        infos.contains(&("ip_not_public".into(), "info".into())),
        "{infos:?}"
    );
    assert!(
        infos.contains(&("no_match_keys".into(), "info".into())),
        "{infos:?}"
    );
    assert!(!infos.iter().any(|(c, _)| c == "url_invalid"));
}

#[test]
fn a_url_without_a_scheme_or_with_spaces_is_still_invalid() {
    let ev = |url: &str| {
        format!(
            r#"{{"data_set_id":"d","id":"u","timestamp":1796149990,"event_type":"page_view","source":"website","properties":{{"page_url":"{url}"}}}}"#
        )
    };
    for bad in ["shop.example/p/1", "https://shop.example/a b", "/p/1"] {
        let out = check(
            &["-", "--now", NOW, "--format", "ndjson"],
            &(ev(bad) + "\n"),
        );
        let codes = records(&out)[0]["findings"].to_string();
        assert!(codes.contains("url_invalid"), "{bad}: {codes}");
    }
}

#[test]
fn an_unknown_member_is_reported_even_when_null() {
    let ev = r#"{"data_set_id":"d","id":"n","timestamp":1796149990,"event_type":"purchase","value":1,"currency_code":"USD","source":"website","method":null}"#;
    let out = check(
        &["-", "--now", NOW, "--format", "ndjson"],
        &(ev.to_owned() + "\n"),
    );
    let findings = records(&out)[0]["findings"].to_string();
    assert!(
        findings.contains("unknown_field") && findings.contains("$.method"),
        "{findings}"
    );
}

#[test]
fn severity_flag_raises_a_code_and_fails_the_check() {
    let args = [
        "-",
        "--now",
        NOW,
        "--severity",
        "ip_not_public=error",
        "--format",
        "ndjson",
    ];
    let out = check(&args, &valid_events());
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&out);
    let e4 = recs.iter().find(|r| r["id"] == "e4").unwrap();
    assert_eq!(e4["status"], "error");
    assert!(e4["findings"].to_string().contains(r#""severity":"error""#));
    // The text summary counts it as an error too.
    let out = check(
        &["-", "--now", NOW, "--severity", "ip_not_public=error"],
        &valid_events(),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error 4 (50.0%)"), "{text}");
}

#[test]
fn severity_off_removes_a_code() {
    let args = [
        "-",
        "--now",
        NOW,
        "--severity",
        "no_match_keys=off",
        "--format",
        "ndjson",
    ];
    let out = check(&args, &valid_events());
    assert!(!String::from_utf8(out.stdout)
        .unwrap()
        .contains("no_match_keys"));
}

#[test]
fn severity_table_in_the_config_and_rules_show_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("team.toml");
    std::fs::write(
        &cfg,
        "[severity]\nip_not_public = \"error\"\nsource_missing = \"off\"\n",
    )
    .unwrap();
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .arg("--config")
        .arg(&cfg)
        .args(["check", "-", "--now", NOW])
        .write_stdin(valid_events())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rules = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .arg("--config")
        .arg(&cfg)
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rows: Vec<Value> = serde_json::from_slice(&rules.stdout).unwrap();
    let ip = rows.iter().find(|r| r["code"] == "ip_not_public").unwrap();
    assert_eq!(ip["severity"], "error");
    assert_eq!(ip["default_severity"], "info");
    assert!(ip["severity_source"]
        .as_str()
        .unwrap()
        .contains("team.toml"));
    let md = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["rules", "--severity", "url_invalid=error"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("| `url_invalid` | **error** (--severity; default warning) |"),
        "{md}"
    );
}

#[test]
fn unknown_codes_get_a_did_you_mean() {
    let out = check(&["-", "--severity", "ip_not_publik=error"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("did you mean `ip_not_public`"));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[severity]\nurl_invald = \"off\"\n").unwrap();
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .arg("--config")
        .arg(&cfg)
        .args(["check", "-"])
        .write_stdin("")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("severity.url_invald") && err.contains("did you mean `url_invalid`"),
        "{err}"
    );
    std::fs::write(&cfg, "[severity]\nurl_invalid = \"loud\"\n").unwrap();
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .arg("--config")
        .arg(&cfg)
        .args(["check", "-"])
        .write_stdin("")
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("expected \"error\""));
}

#[test]
fn an_old_file_is_named_once_instead_of_a_wall_of_stale() {
    let old: String = (0..10)
        .map(|i| {
            format!(
                r#"{{"data_set_id":"d","id":"o{i}","timestamp":1600000000,"event_type":"page_view","source":"website"}}"#
            ) + "\n"
        })
        .collect();
    let out = check(&["-", "--fail-on", "never"], &old);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("older than the maximum age").count(),
        1,
        "{text}"
    );
    assert!(text.contains("--now") && text.contains("max_age"), "{text}");
    // With --now at the time it was recorded, no note and no stale finding.
    let out = check(&["-", "--fail-on", "never", "--now", "1600000100"], &old);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("older than the maximum age"), "{text}");
}
