//! The `kafka://` source grammar:
//!
//! ```text
//! kafka://BROKER[,BROKER…]/TOPIC[,TOPIC…][?group=G][&from=F][&until=end]
//!   BROKER  HOST:PORT
//!   G       consumer group id; without it, a private group that commits nothing
//!   F       committed (default: where the group left off, else the earliest offset)
//!           | earliest | latest | an RFC 3339 time (2026-12-01T10:00:00Z) | -DURATION (-2h)
//!   until   end: read to the partitions' end offsets taken at start, then stop
//! ```

use std::fmt;

/// Where a partition is first read from, in this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum From {
    /// The group's committed offset; the earliest when it has none.
    Committed,
    Earliest,
    Latest,
    /// Unix milliseconds (a relative start is resolved when the source starts).
    Time(i64),
    /// `-DURATION`: so long before the source starts.
    Ago(u64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KafkaSpec {
    pub brokers: Vec<String>,
    pub topics: Vec<String>,
    pub group: Option<String>,
    pub from: From,
    /// Stop at the end offsets taken at start.
    pub until_end: bool,
}

impl KafkaSpec {
    /// Parses what follows `kafka://`.
    pub fn parse(text: &str, rest: &str) -> Result<KafkaSpec, String> {
        let bad = |why: &str| {
            format!("{text:?}: {why} (kafka://BROKER[,BROKER…]/TOPIC[,TOPIC…][?group=G&from=committed|earliest|latest|TIME|-2h&until=end])")
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (brokers, topics) = path.split_once('/').ok_or_else(|| bad("no topic"))?;
        let brokers: Vec<String> = brokers.split(',').map(str::to_owned).collect();
        for b in &brokers {
            match b.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
                _ => return Err(bad(&format!("broker {b:?} is not HOST:PORT"))),
            }
        }
        let topics: Vec<String> = topics.split(',').map(str::to_owned).collect();
        for t in &topics {
            if !valid_topic(t) {
                return Err(bad(&format!("topic {t:?}: 1 to 249 of a-z A-Z 0-9 . _ -")));
            }
        }
        let mut spec = KafkaSpec {
            brokers,
            topics,
            group: None,
            from: From::Committed,
            until_end: false,
        };
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                "group" if !v.is_empty() => spec.group = Some(v.to_owned()),
                "from" => spec.from = parse_from(v).ok_or_else(|| bad(&format!("from={v}")))?,
                "until" if v == "end" => spec.until_end = true,
                _ => return Err(bad(&format!("unknown or empty parameter {k:?}"))),
            }
        }
        Ok(spec)
    }

    /// The start time in unix milliseconds, for a start by time.
    pub fn start_ms(&self, now_ms: i64) -> Option<i64> {
        match self.from {
            From::Time(ms) => Some(ms),
            From::Ago(secs) => {
                Some(now_ms.saturating_sub(i64::try_from(secs).ok()?.saturating_mul(1000)))
            }
            _ => None,
        }
    }
}

impl fmt::Display for From {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            From::Committed => f.write_str("committed"),
            From::Earliest => f.write_str("earliest"),
            From::Latest => f.write_str("latest"),
            From::Time(ms) => f.write_str(&crate::engine::time::format_utc(ms.div_euclid(1000))),
            From::Ago(secs) => write!(f, "-{secs}s"),
        }
    }
}

/// Kafka's own rule for topic names.
fn valid_topic(t: &str) -> bool {
    (1..=249).contains(&t.len())
        && t != "."
        && t != ".."
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn parse_from(v: &str) -> Option<From> {
    match v {
        "" | "committed" => Some(From::Committed),
        "earliest" | "beginning" => Some(From::Earliest),
        "latest" | "end" => Some(From::Latest),
        _ => {
            if let Some(ago) = v.strip_prefix('-') {
                return crate::engine::time::parse_duration(ago).map(|d| From::Ago(d.as_secs()));
            }
            let t = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                .ok()?;
            i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
                .ok()
                .map(From::Time)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(rest: &str) -> Result<KafkaSpec, String> {
        KafkaSpec::parse(&format!("kafka://{rest}"), rest)
    }

    #[test]
    fn parses_the_grammar() {
        let s = p("127.0.0.1:9092,b:9093/events,more?group=g1&from=earliest&until=end").unwrap();
        assert_eq!(s.brokers, ["127.0.0.1:9092", "b:9093"]);
        assert_eq!(s.topics, ["events", "more"]);
        assert_eq!(s.group.as_deref(), Some("g1"));
        assert_eq!(s.from, From::Earliest);
        assert!(s.until_end);
        let s = p("h:1/t").unwrap();
        assert_eq!(
            (s.group, s.from, s.until_end),
            (None, From::Committed, false)
        );
        assert_eq!(p("h:1/t?from=-2h").unwrap().from, From::Ago(7200));
        assert_eq!(
            p("h:1/t?from=2026-12-01T10:00:00Z").unwrap().from,
            From::Time(1_796_119_200_000)
        );
        assert_eq!(
            p("h:1/t?from=2026-12-01T11:00:00.5+01:00").unwrap().from,
            From::Time(1_796_119_200_500)
        );
        assert_eq!(
            p("h:1/t?from=-2h").unwrap().start_ms(10_000_000),
            Some(2_800_000)
        );
    }

    #[test]
    fn refuses_what_is_not_it() {
        for bad in [
            "h:1",
            "h/t",
            "h:99999/t",
            ":1/t",
            "h:1/",
            "h:1/a,,b",
            "h:1/bad topic",
            "h:1/..",
            "h:1/t?group=",
            "h:1/t?from=yesterday",
            "h:1/t?until=soon",
            "h:1/t?colour=blue",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
        let long = "x".repeat(250);
        assert!(p(&format!("h:1/{long}")).is_err());
    }
}
