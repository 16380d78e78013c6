//! Checks on single values, independent of where they sit in the payload: hashes, IPs, dates,
//! codes. Each reports through [`Report`], so the validator decides the path and the value shown.

use crate::ecapi::codes::Code;
use crate::ecapi::ip::{is_public_ip, parse_ip};
use crate::ecapi::lists;
use crate::ecapi::normalize::HashField;
use crate::ecapi::placeholders::placeholder_for;
use crate::engine::report::Message;
use std::net::Ipv4Addr;

/// Where checks send what they find.
pub trait Report {
    fn report(&mut self, code: Code, message: impl Into<Message>, hint: Option<String>);
}

/// Reports control characters (C0, DEL, C1), which no ECAPI field should carry and which
/// would drive a terminal if printed raw.
///
/// JSON forbids raw C0 characters in strings, so they can only come from escapes: a string
/// the parser borrowed unescaped (`escaped == false`) needs only the DEL/C1 scan.
pub fn control_characters(s: &str, escaped: bool, out: &mut impl Report) {
    let bytes = s.as_bytes();
    if memchr::memchr2(0x7f, 0xc2, bytes).is_none()
        && (!escaped || !bytes.iter().any(|&b| b < 0x20))
    {
        return;
    }
    let found = bytes.iter().enumerate().any(|(i, &b)| {
        b < 0x20
            || b == 0x7f
            || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n)))
    });
    if found {
        out.report(
            Code::ControlCharacters,
            "the string contains control characters",
            None,
        );
    }
}

/// Hex classes of a string in one pass: (all hex, any upper-case hex letter).
fn hex_class(s: &str) -> (bool, bool) {
    // Branch-free, so that the compiler turns it into vector compares: every digest field of
    // every event comes through here.
    let (mut other, mut upper) = (false, false);
    for b in s.bytes() {
        let digit = b.wrapping_sub(b'0') < 10;
        let lower = b.wrapping_sub(b'a') < 6;
        let up = b.wrapping_sub(b'A') < 6;
        other |= !(digit | lower | up);
        upper |= up;
    }
    (!other, upper)
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn looks_like_email(s: &str) -> bool {
    let s = s.trim();
    match s.find('@') {
        Some(at) if at > 0 => {
            let domain = &s[at + 1..];
            domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        }
        _ => false,
    }
}

pub fn looks_like_phone(s: &str) -> bool {
    let mut digits = 0;
    for c in s.trim().chars() {
        match c {
            '0'..='9' => digits += 1,
            '+' | '-' | ' ' | '(' | ')' | '.' | '/' => {}
            _ => return false,
        }
    }
    (7..=15).contains(&digits)
}

/// A SHA-256 field: lower-case 64-hex, not of a placeholder, never raw PII.
pub fn hashed(field: HashField, s: &str, out: &mut impl Report) {
    let (all_hex, upper) = if s.len() == 64 {
        hex_class(s)
    } else {
        (false, false)
    };
    if all_hex {
        let lower = if upper {
            out.report(
                Code::HashUppercase,
                "the SHA-256 digest is written in upper-case hex",
                Some(format!("send {}", s.to_ascii_lowercase())),
            );
            std::borrow::Cow::Owned(s.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(s)
        };
        if let Some(text) = placeholder_for(&lower) {
            out.report(
                Code::HashOfPlaceholder,
                format!(
                    "this is the SHA-256 of {text:?}, not of a real {}",
                    field.name()
                ),
                Some("leave the field out when the value is unknown".into()),
            );
        }
        return;
    }
    if s.is_empty() {
        out.report(
            Code::EmptyValue,
            format!("{} is an empty string", field.name()),
            None,
        );
        return;
    }
    // A digest of another shape is no PII: test shapes before the raw-value heuristics.
    let shape = digest_shape(s);
    if shape.is_none() {
        if let Some(what) = raw_pii_kind(field, s) {
            out.report(
                Code::UnhashedPii,
                format!(
                    "{} holds what looks like a raw {what}, not a SHA-256 digest",
                    field.name()
                ),
                Some(format!(
                    "normalize and hash it: `ecapi-scope hash --field {} <value>`",
                    field.name()
                )),
            );
            return;
        }
    }
    let what = shape.unwrap_or("not a SHA-256 hex digest");
    out.report(
        Code::HashNotSha256,
        format!(
            "{} is {what} (a SHA-256 hex digest has 64 hex characters)",
            field.name()
        ),
        Some("hash the normalized value with SHA-256 and send the lower-case hex".into()),
    );
}

/// Other digests and encodings senders use by mistake.
fn digest_shape(s: &str) -> Option<&'static str> {
    match s.len() {
        32 if is_hex(s) => Some("an MD5 digest"),
        40 if is_hex(s) => Some("a SHA-1 digest"),
        128 if is_hex(s) => Some("a SHA-512 digest"),
        43 | 44
            if s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b)) =>
        {
            Some("a base64-encoded digest")
        }
        _ => None,
    }
}

/// What raw personal data `s` looks like, for a field that should hold a digest.
fn raw_pii_kind(field: HashField, s: &str) -> Option<&'static str> {
    if looks_like_email(s) {
        return Some("email address");
    }
    if looks_like_phone(s) && !is_hex(s.trim())
        || (field == HashField::Phone && looks_like_phone(s))
    {
        return Some("phone number");
    }
    let hexish = is_hex(s);
    match field {
        HashField::FirstName | HashField::LastName if !hexish => Some("name"),
        HashField::Street if !hexish => Some("street address"),
        HashField::PostalCode if !(hexish && s.len() > 16) => Some("postal code"),
        HashField::Gender if !hexish || s.len() <= 6 => Some("gender"),
        _ => None,
    }
}

pub fn ip(s: &str, out: &mut impl Report) {
    match parse_ip(s) {
        Ok(addr) if !is_public_ip(addr) => out.report(
            Code::IpNotPublic,
            format!("{addr} is a private or reserved address: likely a server's, not the user's"),
            None,
        ),
        Ok(_) => {}
        Err(_) => {
            let hint = if s
                .rsplit_once(':')
                .is_some_and(|(h, _)| h.parse::<Ipv4Addr>().is_ok())
            {
                Some("send the address without the port".into())
            } else if s.contains(',') {
                Some("send one address, not a forwarded-for list".into())
            } else {
                None
            };
            out.report(Code::IpInvalid, "not a valid IPv4 or IPv6 address", hint);
        }
    }
}

/// `YYYYMMDD` or `YYYY-MM-DD`, a real calendar date; returns it as a comparable number.
pub fn parse_date(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let digits: [u8; 8] = match b.len() {
        8 => b.try_into().ok()?,
        10 if b[4] == b'-' && b[7] == b'-' => [b[0], b[1], b[2], b[3], b[5], b[6], b[8], b[9]],
        _ => return None,
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        digits[r]
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((1900..=2200).contains(&year) && (1..=days).contains(&day))
        .then_some(year * 10000 + month * 100 + day)
}

pub fn date(s: &str, out: &mut impl Report) -> Option<u32> {
    let parsed = parse_date(s);
    if parsed.is_none() {
        out.report(
            Code::DateInvalid,
            "not a calendar date in YYYYMMDD or YYYY-MM-DD",
            None,
        );
    }
    parsed
}

pub fn currency(s: &str, out: &mut impl Report) {
    if lists::is_currency(s) {
        return;
    }
    let upper = s.trim().to_ascii_uppercase();
    if lists::is_currency(&upper) {
        out.report(
            Code::CurrencyLowercase,
            "ISO 4217 codes are upper-case",
            Some(format!("send {upper:?}")),
        );
    } else {
        let hint = match upper.as_str() {
            "$" | "US$" | "DOLLAR" | "DOLLARS" => {
                Some("send \"USD\" (or the dollar's ISO code)".into())
            }
            "€" | "EURO" | "EUROS" => Some("send \"EUR\"".into()),
            "£" | "POUND" | "GBP£" => Some("send \"GBP\"".into()),
            _ => None,
        };
        out.report(Code::CurrencyInvalid, "not an ISO 4217 currency code", hint);
    }
}

pub fn country_code(s: &str, out: &mut impl Report) {
    if lists::is_country(s) {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            out.report(
                Code::NotNormalized,
                "the spec wants country codes in lower case",
                Some(format!("send {:?}", s.to_ascii_lowercase())),
            );
        }
        return;
    }
    let hint = lists::country_hint(s).map(|c| format!("send {c:?}"));
    out.report(
        Code::CountryCodeInvalid,
        "not an ISO 3166-1 alpha-2 country code",
        hint,
    );
}

/// City and state: lower-case, no punctuation (the spec's recommendation).
pub fn plain_address(s: &str, out: &mut impl Report) {
    let bad = s
        .chars()
        .any(|c| c.is_uppercase() || (c.is_ascii_punctuation()) || c != ' ' && c.is_whitespace());
    if bad || s.trim() != s {
        let normalized = crate::ecapi::normalize::normalize(HashField::Street, s);
        out.report(
            Code::NotNormalized,
            "the spec recommends lower case without punctuation",
            Some(format!("send {normalized:?}")),
        );
    }
}

pub fn uid_source(s: &str, out: &mut impl Report) {
    let valid = s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if !valid {
        out.report(
            Code::UidSourceInvalid,
            "not a canonical (lower-case) domain",
            None,
        );
    }
}

pub fn airport(s: &str, out: &mut impl Report) {
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        return;
    }
    let hint = (s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| format!("send {:?}", s.to_ascii_uppercase()));
    out.report(
        Code::AirportCodeInvalid,
        "not a three-letter IATA airport code",
        hint,
    );
}

/// An absolute URI (RFC 3986: a scheme, then `:`), as the `url` crate parses it, with no white
/// space or control character: web URLs and app deep links (`myapp://…`) alike.
pub fn url(s: &str, out: &mut impl Report) {
    if crate::ecapi::plain_url::plainly_valid(s) {
        return;
    }
    let clean = !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if clean && url::Url::parse(s).is_ok() {
        return;
    }
    let message = if clean {
        "not an absolute URL: a scheme (https:, myapp:) is missing or the URL does not parse"
    } else {
        "the URL holds white space or control characters"
    };
    out.report(Code::UrlInvalid, message, None);
}

pub fn vin(s: &str, out: &mut impl Report) {
    let ok = s.len() == 17
        && s.bytes()
            .all(|b| (b.is_ascii_digit() || b.is_ascii_alphabetic()) && !b"IOQioq".contains(&b));
    if !ok {
        out.report(Code::VinInvalid, "not a 17-character VIN", None);
    }
}

pub fn ifa(s: &str, out: &mut impl Report) {
    if s.is_empty() {
        out.report(Code::EmptyValue, "ifa is an empty string", None);
    } else if s.bytes().all(|b| b == b'0' || b == b'-') {
        out.report(
            Code::IfaZeroed,
            "the all-zero advertising id means tracking is limited on the device",
            None,
        );
    }
}

pub fn gpp_string(s: &str, out: &mut impl Report) {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-~.".contains(&b));
    if !ok {
        out.report(
            Code::GppStringInvalid,
            "a GPP string holds only base64url characters, '~' and '.'",
            None,
        );
    }
}

/// Whether `s` has no leading or trailing white space (`str::trim`'s, Unicode's), without
/// scanning when both ends are printable ASCII.
pub fn is_trimmed(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(|&b| visible_ascii(b))
        && bytes.last().is_some_and(|&b| visible_ascii(b))
    {
        return true;
    }
    s.trim().len() == s.len()
}

/// Whether `s` is empty or only white space, without scanning when it starts with printable
/// ASCII.
pub fn is_blank(s: &str) -> bool {
    !s.as_bytes().first().is_some_and(|&b| visible_ascii(b)) && s.trim().is_empty()
}

/// Printable ASCII other than space: never white space, at either end of a string.
fn visible_ascii(b: u8) -> bool {
    (0x21..0x7f).contains(&b)
}

/// An identifier (`data_set_id`, `id`): trimmed, as ids are compared byte for byte.
pub fn untrimmed(s: &str, out: &mut impl Report) {
    if !is_trimmed(s) {
        out.report(
            Code::Untrimmed,
            "leading or trailing white space",
            Some(format!("send {:?}", s.trim())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecapi::normalize::sha256_hex;

    #[test]
    fn trimmed_and_blank_agree_with_str_trim() {
        let ends = [
            "", " ", "\t", "\n", "\u{a0}", "\u{2003}", "\u{85}", "\u{1c}", "a", "é", "~", "\u{7f}",
            "!",
        ];
        for a in ends {
            for mid in ["", "x", " ", "mid dle", "\u{3000}"] {
                for b in ends {
                    let s = format!("{a}{mid}{b}");
                    assert_eq!(is_trimmed(&s), s.trim() == s, "{s:?}");
                    assert_eq!(is_blank(&s), s.trim().is_empty(), "{s:?}");
                }
            }
        }
    }

    #[derive(Default)]
    struct Codes(Vec<Code>);
    impl Report for Codes {
        fn report(&mut self, code: Code, _: impl Into<Message>, _: Option<String>) {
            self.0.push(code);
        }
    }
    fn run(f: impl FnOnce(&mut Codes)) -> Vec<Code> {
        let mut c = Codes::default();
        f(&mut c);
        c.0
    }

    const GOOD: &str = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514";

    #[test]
    fn hashes() {
        let h = |field, s: &str| run(|c| hashed(field, s, c));
        assert_eq!(h(HashField::Email, GOOD), vec![]);
        assert_eq!(
            h(HashField::Email, &GOOD.to_uppercase()),
            vec![Code::HashUppercase]
        );
        assert_eq!(
            h(HashField::Email, &sha256_hex("")),
            vec![Code::HashOfPlaceholder]
        );
        assert_eq!(
            h(HashField::Email, &sha256_hex("undefined")),
            vec![Code::HashOfPlaceholder]
        );
        assert_eq!(
            h(HashField::Email, "jane@example.com"),
            vec![Code::UnhashedPii]
        );
        assert_eq!(
            h(HashField::Phone, "+1 212 555 0000"),
            vec![Code::UnhashedPii]
        );
        assert_eq!(h(HashField::FirstName, "Jane"), vec![Code::UnhashedPii]);
        assert_eq!(h(HashField::PostalCode, "10001"), vec![Code::UnhashedPii]);
        assert_eq!(h(HashField::Gender, "f"), vec![Code::UnhashedPii]);
        assert_eq!(h(HashField::Email, &GOOD[..32]), vec![Code::HashNotSha256]);
        assert_eq!(
            h(HashField::CustomerIdentifier, "User123"),
            vec![Code::HashNotSha256]
        );
        assert_eq!(h(HashField::Email, ""), vec![Code::EmptyValue]);
    }

    #[test]
    fn ips() {
        assert_eq!(run(|c| ip("8.8.4.4", c)), vec![]);
        assert_eq!(run(|c| ip("2a00:1450:4001:81d::200e", c)), vec![]);
        assert_eq!(run(|c| ip("10.1.2.3", c)), vec![Code::IpNotPublic]);
        assert_eq!(run(|c| ip("::1", c)), vec![Code::IpNotPublic]);
        assert_eq!(
            run(|c| ip("::ffff:192.168.1.1", c)),
            vec![Code::IpNotPublic]
        );
        assert_eq!(run(|c| ip("999.1.1.1", c)), vec![Code::IpInvalid]);
        assert_eq!(run(|c| ip("8.8.4.4:443", c)), vec![Code::IpInvalid]);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-02-29"), Some(20_240_229));
        assert_eq!(parse_date("20240229"), Some(20_240_229));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("2024/01/01"), None);
        assert_eq!(parse_date("24-01-01"), None);
    }

    #[test]
    fn codes_and_text() {
        assert_eq!(run(|c| currency("USD", c)), vec![]);
        assert_eq!(run(|c| currency("usd", c)), vec![Code::CurrencyLowercase]);
        assert_eq!(run(|c| currency("$", c)), vec![Code::CurrencyInvalid]);
        assert_eq!(run(|c| country_code("gb", c)), vec![]);
        assert_eq!(run(|c| country_code("GB", c)), vec![Code::NotNormalized]);
        assert_eq!(
            run(|c| country_code("uk", c)),
            vec![Code::CountryCodeInvalid]
        );
        assert_eq!(run(|c| plain_address("new york", c)), vec![]);
        assert_eq!(
            run(|c| plain_address("New York", c)),
            vec![Code::NotNormalized]
        );
        assert_eq!(
            run(|c| plain_address("st. louis", c)),
            vec![Code::NotNormalized]
        );
        assert_eq!(run(|c| uid_source("liveramp.com", c)), vec![]);
        assert_eq!(
            run(|c| uid_source("https://liveramp.com", c)),
            vec![Code::UidSourceInvalid]
        );
        assert_eq!(run(|c| airport("JFK", c)), vec![]);
        assert_eq!(run(|c| airport("jfk", c)), vec![Code::AirportCodeInvalid]);
        assert_eq!(run(|c| url("https://shop.example/p/1", c)), vec![]);
        assert_eq!(run(|c| url("shop.example/p/1", c)), vec![Code::UrlInvalid]);
        for deep_link in [
            "app://game.example.net/install",
            "android-app://com.example.shop/https/shop.example/p/1",
            "myapp://product/42?ref=push",
            "http://[2001:db8::1]:8080/p",
        ] {
            assert_eq!(run(|c| url(deep_link, c)), vec![], "{deep_link}");
        }
        for bad in [
            "https://shop.example/a b",
            "/relative/path",
            "https://x\u{1b}[2J",
            "",
        ] {
            assert_eq!(run(|c| url(bad, c)), vec![Code::UrlInvalid], "{bad:?}");
        }
        assert_eq!(run(|c| vin("1HGCM82633A004352", c)), vec![]);
        assert_eq!(run(|c| vin("1HGCM82633A00435O", c)), vec![Code::VinInvalid]);
        assert_eq!(
            run(|c| ifa("6d92078a-8246-4ba4-ae5b-76104861e7dc", c)),
            vec![]
        );
        assert_eq!(
            run(|c| ifa("00000000-0000-0000-0000-000000000000", c)),
            vec![Code::IfaZeroed]
        );
        assert_eq!(
            run(|c| gpp_string("DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", c)),
            vec![]
        );
        assert_eq!(
            run(|c| gpp_string("DBABMA CP", c)),
            vec![Code::GppStringInvalid]
        );
        assert_eq!(run(|c| untrimmed("abc", c)), vec![]);
        assert_eq!(run(|c| untrimmed(" abc", c)), vec![Code::Untrimmed]);
        assert_eq!(
            run(|c| control_characters("a\u{1b}[31m", true, c)),
            vec![Code::ControlCharacters]
        );
        assert_eq!(
            run(|c| control_characters("a\u{85}", false, c)),
            vec![Code::ControlCharacters]
        );
        assert_eq!(run(|c| control_characters("café", true, c)), vec![]);
    }
}
