//! Where a replay may go: the target URL, checked against the allow-list before any
//! connection (loopback is always allowed), and the secret that goes with it, which no output
//! ever shows.

use std::net::IpAddr;
use url::{Host, Url};

/// A bearer token: its text is reachable only through [`Secret::expose`], and it prints masked.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    text: String,
    /// Where it came from, for messages (`$VAR`, `config file`).
    pub origin: String,
}

impl Secret {
    pub fn new(text: String, origin: String) -> Secret {
        Secret { text, origin }
    }

    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(****, from {})", self.origin)
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "**** (from {})", self.origin)
    }
}

/// A target that may be sent to.
#[derive(Clone, Debug)]
pub struct Target {
    url: Url,
}

impl Target {
    /// Parses `text` and checks it against `allow`; the error says how to allow it.
    pub fn parse(text: &str, allow: &[String]) -> Result<Target, String> {
        let url = Url::parse(text).map_err(|e| {
            format!("--to {text:?}: not a URL ({e}); e.g. http://127.0.0.1:4391/events")
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "--to {}: replay sends over http or https, not {}",
                shown(&url),
                url.scheme()
            ));
        }
        let host = url
            .host()
            .ok_or_else(|| format!("--to {}: the URL names no host", shown(&url)))?;
        let port = url.port_or_known_default().unwrap_or(80);
        if !is_loopback(&host) && !allowed(&host.to_string(), port, allow) {
            let name = host.to_string();
            return Err(format!(
                "refusing to replay to {name}:{port}: it is not on the allow-list, and only \
                 loopback is allowed without one (nothing was sent). To allow it, add it to the \
                 config file given with --config:\n\n    [replay]\n    allow = [\"{name}\"]\n\n\
                 (\"{name}:{port}\" allows that port only, \"*.{}\" every host under a domain)",
                parent_domain(&name)
            ));
        }
        Ok(Target { url })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// For a loopback name (`localhost`, `*.localhost`): the name and the loopback address it
    /// must reach, so that no resolver or hosts file can send the replay elsewhere.
    pub fn pinned(&self) -> Option<(String, std::net::SocketAddr)> {
        let Some(Host::Domain(name)) = self.url.host() else {
            return None;
        };
        let port = self.url.port_or_known_default().unwrap_or(80);
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        is_loopback(&Host::Domain(name)).then(|| (name.to_owned(), addr))
    }

    /// The URL as shown in outputs: a password in it masked.
    pub fn shown(&self) -> String {
        shown(&self.url)
    }
}

/// A URL with any password in it masked.
fn shown(url: &Url) -> String {
    let mut u = url.clone();
    if u.password().is_some() {
        let _ = u.set_password(Some("****"));
    }
    u.to_string()
}

fn parent_domain(host: &str) -> &str {
    if host.parse::<IpAddr>().is_ok() {
        return host;
    }
    host.split_once('.').map_or(host, |(_, rest)| rest)
}

/// Loopback addresses and the names RFC 6761 reserves for them.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    }
}

/// Whether an allow-list entry admits `host:port`: `host`, `host:port`, `*.domain`
/// (any host under it), `[v6]` or `[v6]:port`.
fn allowed(host: &str, port: u16, allow: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allow.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        let (name, want_port) = split_port(&entry);
        if want_port.is_some_and(|p| p != port) {
            return false;
        }
        let name = name.trim_end_matches('.');
        match name.strip_prefix("*.") {
            Some(domain) => host.len() > domain.len() + 1 && host.ends_with(&format!(".{domain}")),
            None => name == host,
        }
    })
}

/// `host:port` → (host, port); `[v6]:port` and `[v6]` keep their brackets.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if entry.starts_with('[') {
        return match entry.rsplit_once("]:") {
            Some((h, p)) => (&entry[..=h.len()], p.parse().ok()),
            None => (entry, None),
        };
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (entry, None),
        },
        _ => (entry, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str, allow: &[&str]) -> bool {
        let allow: Vec<String> = allow.iter().map(|s| (*s).to_owned()).collect();
        Target::parse(url, &allow).is_ok()
    }

    #[test]
    fn loopback_is_always_allowed() {
        assert!(ok("http://127.0.0.1:4391/", &[]));
        assert!(ok("http://127.9.9.9/", &[]));
        assert!(ok("http://[::1]:8080/events", &[]));
        assert!(ok("http://localhost:1/", &[]));
        assert!(ok("https://api.localhost/", &[]));
    }

    #[test]
    fn others_need_an_entry() {
        assert!(!ok("https://capi.example.com/events", &[]));
        assert!(!ok("http://10.0.0.5/", &[]));
        assert!(!ok("http://localhost.example.com/", &[]));
        assert!(ok("https://capi.example.com/events", &["capi.example.com"]));
        assert!(ok("https://capi.example.com/", &["CAPI.example.com:443"]));
        assert!(!ok("https://capi.example.com/", &["capi.example.com:8443"]));
        assert!(ok("https://a.b.example.com/", &["*.example.com"]));
        assert!(!ok("https://example.com/", &["*.example.com"]));
        assert!(!ok("https://badexample.com/", &["*.example.com"]));
        assert!(ok("http://[fd00::1]:9000/", &["[fd00::1]:9000"]));
        assert!(ok("http://10.0.0.5:8080/", &["10.0.0.5"]));
    }

    #[test]
    fn the_refusal_says_how_to_allow() {
        let e = Target::parse("https://staging.acme.io/e", &[]).unwrap_err();
        assert!(e.contains("staging.acme.io:443"), "{e}");
        assert!(e.contains("allow = [\"staging.acme.io\"]"), "{e}");
        assert!(e.contains("*.acme.io"), "{e}");
        assert!(Target::parse("ftp://127.0.0.1/", &[]).is_err());
        assert!(Target::parse("not a url", &[]).is_err());
    }

    #[test]
    fn loopback_names_are_pinned_to_loopback() {
        let t = Target::parse("http://api.localhost:4391/", &[]).unwrap();
        let (name, addr) = t.pinned().unwrap();
        assert_eq!(name, "api.localhost");
        assert!(addr.ip().is_loopback() && addr.port() == 4391);
        assert!(Target::parse("http://127.0.0.1/", &[])
            .unwrap()
            .pinned()
            .is_none());
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2".into(), "$TOKEN".into());
        assert!(!format!("{s} {s:?}").contains("hunter2"));
        let t = Target::parse("http://u:hunter2@127.0.0.1/", &[]).unwrap();
        assert!(!t.shown().contains("hunter2"), "{}", t.shown());
    }
}
