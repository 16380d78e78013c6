//! The strict reading of `user_data`: hashes, addresses, network and consent members.

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::rules::{keys, Check};
use crate::ecapi::normalize::sha256_hex;

#[rustfmt::skip]
const USER_DATA: &[&str] = &[
    "customer_identifier", "uids", "customer_segments", "email_address", "phone_numbers",
    "utcoffset", "address", "gpp_string", "gpp_sid", "mmt_only", "click_id", "impression_id",
    "event_ip_address", "event_user_agent", "ifa", "landing_ip_address", "landing_user_agent",
    "age_range", "gender", "ext",
];
const UIDS: &[&str] = &["id", "source", "atype", "ext"];
#[rustfmt::skip]
const ADDRESS: &[&str] = &[
    "first_name", "last_name", "street", "city", "state", "country_code", "postal_code",
    "address_type", "ext",
];
#[rustfmt::skip]
const COUNTRIES: &[&str] = &["us", "gb", "de", "fr", "ca", "jp", "br", "in", "au", "es", "it", "nl"];
const IDENTIFIERS: &[&str] = &[
    "email_address",
    "phone_numbers",
    "customer_identifier",
    "uids",
    "ifa",
];

fn is_hash(v: &Value) -> bool {
    let placeholders = ["", "null", "undefined", "none", "test"].map(sha256_hex);
    v.as_str().is_some_and(|s| {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && !placeholders.iter().any(|p| p == s)
    })
}

fn hash_array(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(is_hash))
}

fn int_in(v: &Value, ok: impl Fn(i64) -> bool) -> bool {
    v.as_i64().is_some_and(ok)
}

fn str_is(v: &Value, ok: impl Fn(&str) -> bool) -> bool {
    v.as_str().is_some_and(ok)
}

/// Lower-case words separated by single spaces.
fn words(s: &str) -> bool {
    !s.is_empty()
        && s.split(' ')
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

fn public_ip(s: &str) -> bool {
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            let special = a == 0
                || a == 10
                || a == 127
                || a >= 224
                || (a == 100 && (64..128).contains(&b))
                || (a == 169 && b == 254)
                || (a == 172 && (16..32).contains(&b))
                || (a == 192 && b == 0 && (c == 0 || c == 2))
                || (a == 192 && b == 168)
                || (a == 198 && (b == 18 || b == 19))
                || (a == 198 && b == 51 && c == 100)
                || (a == 203 && b == 0 && c == 113);
            !special
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            s[0] & 0xe000 == 0x2000 && !(s[0] == 0x2001 && s[1] == 0x0db8)
        }
        Err(_) => false,
    }
}

fn uuid(s: &str) -> bool {
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| {
            if [8, 13, 18, 23].contains(&i) {
                b == b'-'
            } else {
                hex(b)
            }
        })
        && s.bytes().any(|b| b != b'0' && b != b'-')
}

fn gpp_string(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-~.".contains(&b))
}

fn gpp_sid(v: &Value) -> bool {
    v.as_array().is_some_and(|a| {
        !a.is_empty() && a.iter().all(|x| int_in(x, |n| n > 0 && n != 3 && n != 4))
    })
}

/// Problems of a `user_data` object.
pub fn user_data(u: &Map<String, Value>, p: &mut Vec<String>) {
    keys(u, USER_DATA, "user_data", p);
    if !IDENTIFIERS.iter().any(|k| u.contains_key(*k)) {
        p.push("no identifier".into());
    }
    let checks: [Check; 16] = [
        ("email_address", &hash_array),
        ("phone_numbers", &hash_array),
        ("customer_identifier", &is_hash),
        ("gender", &is_hash),
        ("utcoffset", &|v| {
            int_in(v, |m| m % 15 == 0 && (-720..=840).contains(&m))
        }),
        ("age_range", &|v| int_in(v, |a| (1..=13).contains(&a))),
        ("mmt_only", &Value::is_boolean),
        ("event_ip_address", &|v| str_is(v, public_ip)),
        ("landing_ip_address", &|v| str_is(v, public_ip)),
        ("ifa", &|v| str_is(v, uuid)),
        ("gpp_string", &|v| str_is(v, gpp_string)),
        ("gpp_sid", &gpp_sid),
        ("click_id", &|v| str_is(v, |s| !s.is_empty())),
        ("impression_id", &|v| str_is(v, |s| !s.is_empty())),
        ("event_user_agent", &|v| str_is(v, |s| s.len() > 10)),
        ("landing_user_agent", &|v| str_is(v, |s| s.len() > 10)),
    ];
    for (key, ok) in checks {
        if u.get(key).is_some_and(|v| !ok(v)) {
            p.push(format!("user_data.{key} = {}", u[key]));
        }
    }
    if u.contains_key("gpp_string") != u.contains_key("gpp_sid") {
        p.push("gpp_string and gpp_sid not together".into());
    }
    for uid in u
        .get("uids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !uid.as_object().is_some_and(|o| uid_ok(o, p)) {
            p.push(format!("uid {uid}"));
        }
    }
    for a in u
        .get("address")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !a.as_object().is_some_and(|o| address_ok(o, p)) {
            p.push(format!("address {a}"));
        }
    }
}

fn uid_ok(o: &Map<String, Value>, p: &mut Vec<String>) -> bool {
    keys(o, UIDS, "uids", p);
    o.get("id").is_some_and(is_hash)
        && o.get("source")
            .is_some_and(|v| str_is(v, |s| s.contains('.')))
        && o.get("atype")
            .is_some_and(|v| int_in(v, |a| (1..=3).contains(&a)))
}

fn address_ok(o: &Map<String, Value>, p: &mut Vec<String>) -> bool {
    keys(o, ADDRESS, "address", p);
    let hashed = ["first_name", "last_name", "street", "postal_code"];
    let kind_ok = |v: &Value| {
        int_in(v, |n| (1..=3).contains(&n))
            || str_is(v, |s| ["billing", "shipping", "unknown"].contains(&s))
    };
    hashed.iter().all(|k| o.get(*k).is_none_or(is_hash))
        && ["city", "state"]
            .iter()
            .all(|k| o.get(*k).is_none_or(|v| str_is(v, words)))
        && o.get("country_code")
            .is_none_or(|v| str_is(v, |c| COUNTRIES.contains(&c)))
        && o.get("address_type").is_none_or(kind_ok)
}
