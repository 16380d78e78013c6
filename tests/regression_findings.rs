//! Regressions of findings, named after the bug.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use assert_cmd::Command;
use serde_json::Value;

fn findings(event: &str) -> Vec<(String, String)> {
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "-", "--now", "1796150000", "--format", "ndjson"])
        .write_stdin(event.to_owned() + "\n")
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn event(extra: &str) -> String {
    format!(
        r#"{{"data_set_id":"d","id":"1","timestamp":1796149990,"event_type":"page_view","source":"app"{extra}}}"#
    )
}

fn dups(extra: &str) -> Vec<String> {
    findings(&event(extra))
        .into_iter()
        .filter(|(c, _)| c == "duplicate_key")
        .map(|(_, p)| p)
        .collect()
}

#[test]
fn duplicate_unknown_properties_and_ext_members_get_no_duplicate_key() {
    assert_eq!(dups(r#","a":0,"a":1"#), ["$.a"]);
    assert_eq!(dups(r#","properties":{"q":1,"q":2}"#), ["$.properties.q"]);
    assert_eq!(dups(r#","ext":{"k":1,"k":2}"#), ["$.ext.k"]);
    assert_eq!(
        dups(r#","ext":{"n":{"z":[{"y":1},{"y":1,"y":2}]}}"#),
        ["$.ext.n.z[1].y"]
    );
    assert_eq!(dups(r#","odd":{"b":1,"b":2}"#), ["$.odd.b"]);
    // Distinct names, and the same name in sibling objects, are not duplicates.
    assert!(dups(r#","ext":{"k":1,"j":{"k":2},"l":[{"k":1},{"k":2}]}"#).is_empty());
    // A repeated unknown member is one unknown_field, plus its duplicate_key.
    let f = findings(&event(r#","a":0,"a":1"#));
    assert_eq!(
        f.iter().filter(|(c, _)| c == "unknown_field").count(),
        1,
        "{f:?}"
    );
}
