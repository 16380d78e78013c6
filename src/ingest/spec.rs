//! The source grammar of the command line (DESIGN §1).

use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// `PATH` or `file:PATH`.
    File(PathBuf),
    /// `-`.
    Stdin,
    /// `tcp://HOST:PORT`: connect, reconnect with backoff.
    Tcp(String),
    /// `tcp-listen://HOST:PORT`: accept any number of clients.
    TcpListen(String),
    /// `udp://HOST:PORT`: bind and receive, one record per datagram.
    Udp(String),
    /// `unix:///PATH`.
    Unix(PathBuf),
    /// `unix-listen:///PATH`.
    UnixListen(PathBuf),
    /// `ws://…` or `wss://…`, the URL as given.
    WebSocket(String),
    /// `http-listen://HOST:PORT[/PATH]`.
    HttpListen { addr: String, path: Option<String> },
    /// `proxy://HOST:PORT?upstream=URL`.
    Proxy { addr: String, upstream: String },
    /// `kafka://BROKERS/TOPICS?group=…&from=…&until=end`.
    Kafka(Box<super::kafka::spec::KafkaSpec>),
}

impl SourceSpec {
    pub fn parse(text: &str) -> Result<SourceSpec, String> {
        let text = text.trim();
        if text == "-" {
            return Ok(SourceSpec::Stdin);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            let path = text.strip_prefix("file:").unwrap_or(text);
            if path.is_empty() {
                return Err("an empty path".into());
            }
            return Ok(SourceSpec::File(PathBuf::from(path)));
        };
        let need_addr = |rest: &str| -> Result<String, String> {
            let addr = rest.split(['/', '?']).next().unwrap_or("");
            match addr.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Ok(addr.to_owned())
                }
                _ => Err(format!("{text:?}: expected {scheme}://HOST:PORT")),
            }
        };
        let need_path = |rest: &str| -> Result<PathBuf, String> {
            if rest.starts_with('/') && rest.len() > 1 {
                Ok(PathBuf::from(rest))
            } else {
                Err(format!("{text:?}: expected {scheme}:///absolute/path"))
            }
        };
        match scheme {
            "file" => Ok(SourceSpec::File(PathBuf::from(rest))),
            "tcp" => need_addr(rest).map(SourceSpec::Tcp),
            "tcp-listen" => need_addr(rest).map(SourceSpec::TcpListen),
            "udp" => need_addr(rest).map(SourceSpec::Udp),
            "unix" => need_path(rest).map(SourceSpec::Unix),
            "unix-listen" => need_path(rest).map(SourceSpec::UnixListen),
            "ws" | "wss" => {
                need_addr(rest).or_else(|_| {
                    let host = rest.split(['/', '?']).next().unwrap_or("");
                    if host.is_empty() { Err(format!("{text:?}: expected {scheme}://HOST[:PORT]/PATH")) } else { Ok(host.to_owned()) }
                })?;
                Ok(SourceSpec::WebSocket(text.to_owned()))
            }
            "http-listen" => {
                let addr = need_addr(rest)?;
                let path = rest[addr.len()..].split('?').next().filter(|p| !p.is_empty() && *p != "/");
                Ok(SourceSpec::HttpListen {
                    addr,
                    path: path.map(str::to_owned),
                })
            }
            "proxy" => {
                let addr = need_addr(rest)?;
                let upstream = rest
                    .split_once('?')
                    .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("upstream=")))
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                    .ok_or_else(|| format!("{text:?}: expected proxy://HOST:PORT?upstream=http(s)://…"))?;
                Ok(SourceSpec::Proxy {
                    addr,
                    upstream: upstream.to_owned(),
                })
            }
            "kafka" => super::kafka::spec::KafkaSpec::parse(text, rest)
                .map(|k| SourceSpec::Kafka(Box::new(k))),
            other => Err(format!(
                "{text:?}: unknown source kind {other:?} (file, tcp, tcp-listen, udp, unix, unix-listen, ws, wss, http-listen, proxy, kafka)"
            )),
        }
    }

    /// The address a listener binds, if this source listens on a network address.
    pub fn bind_address(&self) -> Option<&str> {
        match self {
            SourceSpec::TcpListen(a) | SourceSpec::Udp(a) => Some(a),
            SourceSpec::HttpListen { addr, .. } | SourceSpec::Proxy { addr, .. } => Some(addr),
            _ => None,
        }
    }
}

/// Whether `addr` (`HOST:PORT`) names a loopback address; listeners bind nothing else unless
/// told to.
pub fn is_loopback(addr: &str) -> bool {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        let p = |s| SourceSpec::parse(s).unwrap();
        assert_eq!(p("events.ndjson"), SourceSpec::File("events.ndjson".into()));
        assert_eq!(p("file:/tmp/a"), SourceSpec::File("/tmp/a".into()));
        assert_eq!(p("-"), SourceSpec::Stdin);
        assert_eq!(
            p("tcp://127.0.0.1:9000"),
            SourceSpec::Tcp("127.0.0.1:9000".into())
        );
        assert_eq!(
            p("tcp-listen://[::1]:9000"),
            SourceSpec::TcpListen("[::1]:9000".into())
        );
        assert_eq!(
            p("udp://localhost:9001"),
            SourceSpec::Udp("localhost:9001".into())
        );
        assert_eq!(
            p("unix:///tmp/s.sock"),
            SourceSpec::Unix("/tmp/s.sock".into())
        );
        assert_eq!(
            p("unix-listen:///tmp/s.sock"),
            SourceSpec::UnixListen("/tmp/s.sock".into())
        );
        assert_eq!(
            p("wss://stream.example/events?x=1"),
            SourceSpec::WebSocket("wss://stream.example/events?x=1".into())
        );
        assert_eq!(
            p("http-listen://127.0.0.1:4390/events"),
            SourceSpec::HttpListen {
                addr: "127.0.0.1:4390".into(),
                path: Some("/events".into())
            }
        );
        assert_eq!(
            p("http-listen://127.0.0.1:4390"),
            SourceSpec::HttpListen {
                addr: "127.0.0.1:4390".into(),
                path: None
            }
        );
        assert_eq!(
            p("proxy://127.0.0.1:8080?upstream=https://capi.example/v1"),
            SourceSpec::Proxy {
                addr: "127.0.0.1:8080".into(),
                upstream: "https://capi.example/v1".into()
            }
        );
    }

    #[test]
    fn rejects_malformed_specs() {
        for bad in [
            "tcp://nohost",
            "tcp://:80",
            "tcp://h:99999",
            "unix://relative",
            "gopher://x:1",
            "proxy://127.0.0.1:1",
            "proxy://127.0.0.1:1?upstream=ftp://x",
            "",
        ] {
            assert!(SourceSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_addresses() {
        assert!(is_loopback("127.0.0.1:1"));
        assert!(is_loopback("[::1]:1"));
        assert!(is_loopback("localhost:1"));
        assert!(!is_loopback("0.0.0.0:1"));
        assert!(!is_loopback("[::]:1"));
    }
}
