//! A quick yes for the URLs nearly every event carries (`https://shop.example/p?q=1`): the
//! URL parser builds a whole `Url` (a copy, the host through IDNA) only to say it parses,
//! which was a twentieth of `check`'s time. Anything off the plain shape still goes to it.

/// Whether `s` is an `http`/`https` URL of a shape `url::Url::parse` always accepts: `://`, a
/// host of lower-case letters, digits, `-` and `.` (no empty label, none starting or ending
/// with `-`, no punycode, the last not numeric, as that makes it an IPv4 address), an optional
/// port up to 65535, then a path, query or fragment of printable ASCII. `false` says nothing:
/// ask the parser.
pub fn plainly_valid(s: &str) -> bool {
    // The parser refuses URLs whose parts lie past u32 offsets; a long URL is rare: ask it.
    if s.len() > 1 << 16 {
        return false;
    }
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let end = memchr::memchr3(b'/', b'?', b'#', rest.as_bytes()).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = match authority.split_once(':') {
        Some((host, port)) => {
            let ok = (1..=5).contains(&port.len())
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|n| n <= 65_535);
            if !ok {
                return false;
            }
            host
        }
        None => authority,
    };
    plain_host(host) && crate::jsontext::bytes_within(tail.as_bytes(), 0x21, 0x7e)
}

/// One pass over the host's bytes, label by label.
fn plain_host(host: &str) -> bool {
    let b = host.as_bytes();
    if b.is_empty() || b.len() > 253 {
        return false;
    }
    let mut start = 0;
    for i in 0..=b.len() {
        if i < b.len() && b[i] != b'.' {
            if !(b[i].is_ascii_lowercase() || b[i].is_ascii_digit() || b[i] == b'-') {
                return false;
            }
            continue;
        }
        let label = &b[start..i];
        let ok = !label.is_empty()
            && label.len() <= 63
            && label[0] != b'-'
            && label[label.len() - 1] != b'-'
            && !label.starts_with(b"xn--");
        if !ok {
            return false;
        }
        if i == b.len() {
            // The last label, numeric (or hex), would make the host an IPv4 address.
            return !(label.iter().all(u8::is_ascii_digit) || label.starts_with(b"0x"));
        }
        start = i + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::{plain_host, plainly_valid};
    use proptest::prelude::*;

    /// The label-by-label reading the one-pass `plain_host` replaced, as its oracle.
    fn labelwise(host: &str) -> bool {
        if host.is_empty() || host.len() > 253 {
            return false;
        }
        let mut last = "";
        for label in host.split('.') {
            let ok = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && !label.starts_with("xn--")
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return false;
            }
            last = label;
        }
        !(last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x"))
    }

    #[test]
    fn label_and_host_lengths_at_their_limits() {
        let label = |n: usize| "a".repeat(n);
        for host in [
            label(63),
            label(64),
            format!("{}.b", label(63)),
            format!("{}.b", label(64)),
            [label(63), label(63), label(63), label(61)].join("."),
            [label(63), label(63), label(63), label(62)].join("."),
        ] {
            assert_eq!(plain_host(&host), labelwise(&host), "{} bytes", host.len());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn the_one_pass_host_check_agrees_with_the_labelwise_one(
            host in "([a-z0-9-]{0,5}|xn--|0x|[A-Z_]|\\.){0,8}"
        ) {
            prop_assert_eq!(plain_host(&host), labelwise(&host), "{:?}", host);
        }
    }

    #[test]
    fn the_plain_shapes_and_what_is_left_to_the_parser() {
        for yes in [
            "https://shop.example/p?q=1",
            "http://a.b:8080/x#y",
            "https://cdn-1.example.co.uk/a%20b/[c]?d=e&f=g|h",
            "https://localhost",
        ] {
            assert!(plainly_valid(yes), "{yes}");
        }
        for ask in [
            "https://1.2.3.256/",
            "https://10.0.0.1/",
            "https://a.0x1/",
            "https://xn--bcher-kva.example/",
            "https://Shop.Example/",
            "https://a..b/",
            "https://-a.example/",
            "https://a.example:99999/",
            "https://a.example:/",
            "https://user@a.example/",
            "https://[::1]/",
            "https://a.example/ b",
            "myapp://open",
            &format!("https://a.example/{}", "p".repeat(1 << 16)),
            "",
        ] {
            assert!(!plainly_valid(ask), "{ask}");
        }
    }

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("http://".to_owned()),
            Just("https://".to_owned()),
            Just("HTTPS://".to_owned()),
            "[a-z0-9]{1,8}",
            "[a-zA-Z0-9.-]{1,6}",
            Just(".".to_owned()),
            Just("-".to_owned()),
            Just("xn--".to_owned()),
            Just("0x".to_owned()),
            "[0-9]{1,6}",
            Just(":".to_owned()),
            Just("@".to_owned()),
            Just("[".to_owned()),
            Just("%".to_owned()),
            "[/?#]",
            "[!-~]{0,6}",
            "\\PC{0,2}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Never a yes the URL parser would not give.
        #[test]
        fn a_yes_is_the_parsers_yes(parts in proptest::collection::vec(piece(), 1..10)) {
            let s = format!("https://{}", parts.concat());
            if plainly_valid(&s) {
                prop_assert!(url::Url::parse(&s).is_ok(), "{}", s);
            }
            let s = parts.concat();
            if plainly_valid(&s) {
                prop_assert!(url::Url::parse(&s).is_ok(), "{}", s);
            }
        }
    }
}
