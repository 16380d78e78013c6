//! Running `ecapi-scope replay` in tests, and the events and files they send.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

pub struct Ran {
    pub code: i32,
    pub out: String,
    pub err: String,
}

pub fn replay(args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"));
    cmd.arg("replay")
        .args(args)
        .env_remove("ECAPI_SCOPE_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    Ran {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn json(r: &Ran) -> Value {
    serde_json::from_str(r.out.trim()).unwrap_or_else(|e| panic!("{e}: {}\n{}", r.out, r.err))
}

pub fn lines(r: &Ran) -> Vec<Value> {
    r.out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// An event as the spec's own example has it, with this id and timestamp.
pub fn event(id: &str, ts: i64) -> String {
    format!(
        r#"{{"id":"{id}","data_set_id":"ds1","event_type":"purchase","timestamp":{ts},"source":"website","value":12.5,"currency_code":"USD","user_data":{{"email_address":["8c5e0a14e1e4c7b1f5b9b5a3c0e8d1f2a3b4c5d6e7f8091a2b3c4d5e6f708192"]}}}}"#
    )
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn write(dir: &Path, name: &str, lines: &[String]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p.to_str().unwrap().to_owned()
}

pub fn ok_body() -> (u16, Vec<String>, String) {
    (200, vec![], r#"{"status":200}"#.into())
}
