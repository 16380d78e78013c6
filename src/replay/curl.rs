//! An event as a `curl` command that posts it to the replay target: the body single-quoted for
//! a POSIX shell, the token only ever as a reference to its environment variable.

use std::fmt::Write as _;

/// A word single-quoted for a POSIX shell (`'` written as `'\''`).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `curl` posting `body` to `url`; `token_env` names the variable holding the bearer token.
pub fn command(url: &str, token_env: Option<&str>, body: &[u8]) -> String {
    let mut out = format!(
        "curl -sS -X POST {} -H 'Content-Type: application/json' -H 'Accept: application/json'",
        shell_quote(url)
    );
    if let Some(var) =
        token_env.filter(|v| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        let _ = write!(out, " -H \"Authorization: Bearer ${var}\"");
    }
    out.push_str(" --data-binary ");
    out.push_str(&shell_quote(&String::from_utf8_lossy(body)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_a_shell() {
        let c = command("http://127.0.0.1:4391/", Some("TOKEN"), br#"{"a":"it's"}"#);
        assert!(c.ends_with(r#"--data-binary '{"a":"it'\''s"}'"#), "{c}");
        assert!(c.contains(r#""Authorization: Bearer $TOKEN""#));
        // A variable name that is not one is never pasted into the command.
        assert!(!command("http://x/", Some("A;rm -rf /"), b"{}").contains("rm"));
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("printf %s {}", shell_quote("a'b\"c$HOME`x`")),
            ])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "a'b\"c$HOME`x`");
    }
}
