//! An independent, strict reading of the rules clean events must follow, so the generator's
//! output is checked by code that shares nothing with it.

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::ecapi::normalize::sha256_hex;

const TOP: &[&str] = &[
    "data_set_id", "id", "timestamp", "event_type", "custom_event", "user_data", "value",
    "currency_code", "source", "properties", "ext",
];
const USER_DATA: &[&str] = &[
    "customer_identifier", "uids", "customer_segments", "email_address", "phone_numbers",
    "utcoffset", "address", "gpp_string", "gpp_sid", "mmt_only", "click_id", "impression_id",
    "event_ip_address", "event_user_agent", "ifa", "landing_ip_address", "landing_user_agent",
    "age_range", "gender", "ext",
];
const UIDS: &[&str] = &["id", "source", "atype", "ext"];
const ADDRESS: &[&str] = &[
    "first_name", "last_name", "street", "city", "state", "country_code", "postal_code",
    "address_type", "ext",
];
const ITEM: &[&str] = &[
    "id", "name", "price", "discount", "quantity", "brand", "affiliation", "category", "cattax",
    "item_coupon", "item_list_id", "item_list_name", "item_item_variant", "item_location_id", "ext",
];
const PROPERTIES: &[&str] = &[
    "transaction_id", "items", "page_url", "ad_source", "referrer", "coupon", "shipping", "tax",
    "payment_type", "shipping_tier", "virtual_currency_name", "virtual_item_name", "lead_source",
    "lead_status", "lead_reason", "ad_platform", "ad_format", "ad_unit_name", "login_method",
    "group_id", "character_level", "character", "post_score", "achievement_id", "search_term",
    "creative_name", "creative_slot", "promotion_id", "promotion_name", "availability",
    "body_style", "condition_of_vehicle", "arrival_date", "departure_date", "destination_airport",
    "destination_ids", "drivetrain", "exterior_color", "fuel_type", "lease_end_date",
    "lease_start_date", "listing_type", "make", "model", "transmission", "vin", "ext",
];
const SOURCES: &[&str] = &[
    "email", "website", "app", "phone_call", "chat", "physical_store", "system_generated",
    "business_messaging", "other",
];
const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "BRL", "INR", "SEK", "CHF"];
const COUNTRIES: &[&str] = &["us", "gb", "de", "fr", "ca", "jp", "br", "in", "au", "es", "it", "nl"];
const MONETARY: &[&str] =
    &["purchase", "refund", "subscribe", "donate", "close_convert_lead", "start_trial"];
/// The enumerated properties and their labels (the code is the 1-based position).
const ENUMS: &[(&str, &[&str])] = &[
    ("availability", &["available soon", "for rent", "for sale", "off market", "recently sold", "sale pending"]),
    ("body_style", &["convertible", "coupe", "hatchback", "minivan", "truck", "suv", "sedan", "van", "wagon", "crossover", "other"]),
    ("condition_of_vehicle", &["new", "used"]),
    ("drivetrain", &["4x2", "4x4", "awd", "fwd", "rwd", "other", "none"]),
    ("fuel_type", &["diesel", "electric", "flex", "gasoline", "hybrid", "petrol", "plugin_hybrid", "other", "none"]),
    ("listing_type", &["for rent by agent", "for rent by owner", "for sale by agent", "for sale by owner", "foreclosed", "new construction", "new listing"]),
    ("transmission", &["automatic", "manual", "other", "none"]),
];

/// Everything wrong with `event` as a clean event at `now`; empty when it is clean.
pub fn problems(event: &Value, now: i64, event_types: &[&str]) -> Vec<String> {
    let mut p = Vec::new();
    let Some(e) = event.as_object() else { return vec!["not an object".into()] };
    no_nulls(event, "$", &mut p);
    keys(e, TOP, "$", &mut p);
    match e.get("data_set_id").and_then(Value::as_str) {
        Some(d) if !d.trim().is_empty() && d.trim() == d && !d.chars().any(char::is_control) => {}
        _ => p.push("data_set_id".into()),
    }
    if !e.get("id").and_then(Value::as_str).is_some_and(|s| !s.is_empty()) {
        p.push("id".into());
    }
    match e.get("timestamp").and_then(Value::as_i64) {
        Some(ts) if ts <= now && ts >= now - 2 * 86_400 => {}
        _ => p.push("timestamp".into()),
    }
    let t = e.get("event_type").and_then(Value::as_str).unwrap_or("");
    if !event_types.contains(&t) {
        p.push(format!("event_type {t}"));
    }
    let custom = e.get("custom_event").and_then(Value::as_str);
    if (t == "custom") != custom.is_some_and(|c| !c.trim().is_empty()) || (t != "custom" && e.contains_key("custom_event")) {
        p.push("custom_event".into());
    }
    if !e.get("source").and_then(Value::as_str).is_some_and(|s| SOURCES.contains(&s)) {
        p.push("source".into());
    }
    money(e, t, &mut p);
    match e.get("user_data").and_then(Value::as_object) {
        Some(u) => user_data(u, &mut p),
        None => p.push("user_data missing".into()),
    }
    if let Some(props) = e.get("properties") {
        match props.as_object() {
            Some(props) => properties(props, &mut p),
            None => p.push("properties".into()),
        }
    }
    p
}

fn no_nulls(v: &Value, at: &str, p: &mut Vec<String>) {
    match v {
        Value::Null => p.push(format!("null at {at}")),
        Value::Array(a) => a.iter().for_each(|x| no_nulls(x, at, p)),
        Value::Object(o) => o.iter().for_each(|(k, x)| no_nulls(x, k, p)),
        _ => {}
    }
}

fn keys(o: &Map<String, Value>, allowed: &[&str], at: &str, p: &mut Vec<String>) {
    for k in o.keys().filter(|k| !allowed.contains(&k.as_str())) {
        p.push(format!("unknown {at}.{k}"));
    }
}

fn cents_ok(x: f64, decimals: i32) -> bool {
    let scaled = x * 10_f64.powi(decimals);
    x >= 0.0 && (scaled - scaled.round()).abs() < 1e-6
}

fn money(e: &Map<String, Value>, t: &str, p: &mut Vec<String>) {
    let currency = e.get("currency_code").and_then(Value::as_str);
    let decimals = if currency == Some("JPY") { 0 } else { 2 };
    match (e.get("value"), currency) {
        (None, None) => {
            if MONETARY.contains(&t) {
                p.push("monetary type without value".into());
            }
        }
        (Some(v), Some(c)) => {
            if !v.as_f64().is_some_and(|x| cents_ok(x, decimals)) {
                p.push(format!("value {v}"));
            }
            if !CURRENCIES.contains(&c) {
                p.push(format!("currency {c}"));
            }
        }
        _ => p.push("value and currency_code not together".into()),
    }
    let Some(props) = e.get("properties").and_then(Value::as_object) else { return };
    for key in ["shipping", "tax"] {
        if props.get(key).is_some_and(|x| !x.as_f64().is_some_and(|x| cents_ok(x, decimals))) {
            p.push(key.into());
        }
    }
    let Some(items) = props.get("items").and_then(Value::as_array) else { return };
    let mut sum = 0.0;
    for item in items {
        let Some(item) = item.as_object() else { p.push("item".into()); continue };
        keys(item, ITEM, "items", p);
        let num = |k: &str| item.get(k).and_then(Value::as_f64);
        let price = num("price").unwrap_or(-1.0);
        let quantity = num("quantity").unwrap_or(0.0);
        let discount = num("discount").unwrap_or(0.0);
        if price < 0.0 || quantity <= 0.0 || discount < 0.0 || (discount > 0.0 && discount >= price) {
            p.push(format!("item amounts {item:?}"));
        }
        if item.get("cattax").and_then(Value::as_i64).is_some_and(|c| !(1..=8).contains(&c)) {
            p.push("cattax".into());
        }
        sum += (price - discount) * quantity;
    }
    sum += ["shipping", "tax"].iter().filter_map(|k| props.get(*k)?.as_f64()).sum::<f64>();
    if e.get("value").and_then(Value::as_f64).is_none_or(|v| (v - sum).abs() > 0.01) {
        p.push(format!("value does not match items: {sum}"));
    }
}

fn is_hash(v: &Value) -> bool {
    let placeholders = ["", "null", "undefined", "none", "test"].map(sha256_hex);
    v.as_str().is_some_and(|s| {
        s.len() == 64
            && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && !placeholders.iter().any(|p| p == s)
    })
}

fn hash_array(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(is_hash))
}

fn words(s: &str) -> bool {
    !s.is_empty() && s.split(' ').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

fn public_ip(s: &str) -> bool {
    match s.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            !(a == 0 || a == 10 || a == 127 || a >= 224
                || (a == 100 && (64..128).contains(&b))
                || (a == 169 && b == 254)
                || (a == 172 && (16..32).contains(&b))
                || (a == 192 && b == 0 && (c == 0 || c == 2))
                || (a == 192 && b == 168)
                || (a == 198 && (b == 18 || b == 19))
                || (a == 198 && b == 51 && c == 100)
                || (a == 203 && b == 0 && c == 113))
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            s[0] & 0xe000 == 0x2000 && !(s[0] == 0x2001 && s[1] == 0x0db8)
        }
        Err(_) => false,
    }
}

fn user_data(u: &Map<String, Value>, p: &mut Vec<String>) {
    keys(u, USER_DATA, "user_data", p);
    let ids = ["email_address", "phone_numbers", "customer_identifier", "uids", "ifa"];
    if !ids.iter().any(|k| u.contains_key(*k)) {
        p.push("no identifier".into());
    }
    let bad = |k: &str, ok: &dyn Fn(&Value) -> bool| u.get(k).is_some_and(|v| !ok(v));
    let checks: [(&str, &dyn Fn(&Value) -> bool); 12] = [
        ("email_address", &hash_array),
        ("phone_numbers", &hash_array),
        ("customer_identifier", &is_hash),
        ("gender", &is_hash),
        ("utcoffset", &|v| v.as_i64().is_some_and(|m| m % 15 == 0 && (-720..=840).contains(&m))),
        ("age_range", &|v| v.as_i64().is_some_and(|a| (1..=13).contains(&a))),
        ("mmt_only", &|v| v.is_boolean()),
        ("event_ip_address", &|v| v.as_str().is_some_and(public_ip)),
        ("landing_ip_address", &|v| v.as_str().is_some_and(public_ip)),
        ("ifa", &|v| v.as_str().is_some_and(|s| {
            s.len() == 36 && s.bytes().all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && s.bytes().any(|b| b != b'0' && b != b'-')
        })),
        ("gpp_string", &|v| v.as_str().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-~.".contains(&b)))),
        ("gpp_sid", &|v| v.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|x| x.as_i64().is_some_and(|n| n > 0 && n != 3 && n != 4)))),
    ];
    for (key, ok) in checks {
        if bad(key, ok) {
            p.push(format!("user_data.{key} = {}", u[key]));
        }
    }
    if u.contains_key("gpp_string") != u.contains_key("gpp_sid") {
        p.push("gpp pair".into());
    }
    for k in ["click_id", "impression_id", "event_user_agent", "landing_user_agent"] {
        if u.get(k).is_some_and(|v| !v.as_str().is_some_and(|s| !s.is_empty())) {
            p.push(k.into());
        }
    }
    for uid in u.get("uids").and_then(Value::as_array).into_iter().flatten() {
        let ok = uid.as_object().is_some_and(|o| {
            keys(o, UIDS, "uids", p);
            o.get("id").is_some_and(is_hash)
                && o.get("source").and_then(Value::as_str).is_some_and(|s| s.contains('.'))
                && o.get("atype").and_then(Value::as_i64).is_some_and(|a| (1..=3).contains(&a))
        });
        if !ok {
            p.push(format!("uid {uid}"));
        }
    }
    for a in u.get("address").and_then(Value::as_array).into_iter().flatten() {
        let ok = a.as_object().is_some_and(|o| {
            keys(o, ADDRESS, "address", p);
            ["first_name", "last_name", "street", "postal_code"].iter().all(|k| o.get(*k).is_none_or(is_hash))
                && ["city", "state"].iter().all(|k| o.get(*k).is_none_or(|v| v.as_str().is_some_and(words)))
                && o.get("country_code").is_none_or(|v| v.as_str().is_some_and(|c| COUNTRIES.contains(&c)))
                && o.get("address_type").is_none_or(|v| {
                    v.as_i64().is_some_and(|n| (1..=3).contains(&n))
                        || v.as_str().is_some_and(|s| ["billing", "shipping", "unknown"].contains(&s))
                })
        });
        if !ok {
            p.push(format!("address {a}"));
        }
    }
}

/// Days since 0000-03-01 for a valid `YYYY-MM-DD` or `YYYYMMDD`, else None.
pub fn date(s: &str) -> Option<i64> {
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let shape_ok = (s.len() == 10 && &s[4..5] == "-" && &s[7..8] == "-") || s.len() == 8;
    if !shape_ok || digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d): (i64, i64, i64) =
        (digits[..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..].parse().ok()?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let len = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > len[(m - 1) as usize] {
        return None;
    }
    Some(y * 372 + m * 31 + d)
}

fn properties(props: &Map<String, Value>, p: &mut Vec<String>) {
    keys(props, PROPERTIES, "properties", p);
    for k in ["page_url", "referrer"] {
        if props.get(k).is_some_and(|v| !v.as_str().is_some_and(|s| s.starts_with("https://") && s.len() > 12)) {
            p.push(k.into());
        }
    }
    for k in ["coupon", "payment_type"] {
        if props.get(k).is_some_and(|v| !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))) {
            p.push(k.into());
        }
    }
    if props.get("character_level").is_some_and(|v| !v.as_i64().is_some_and(|n| n >= 0)) {
        p.push("character_level".into());
    }
    if props.get("post_score").is_some_and(|v| !v.is_i64()) {
        p.push("post_score".into());
    }
    let dates: Vec<Option<Option<i64>>> = ["arrival_date", "departure_date", "lease_start_date", "lease_end_date"]
        .iter()
        .map(|k| props.get(*k).map(|v| v.as_str().and_then(date)))
        .collect();
    if dates.iter().any(|d| matches!(d, Some(None))) {
        p.push("date".into());
    }
    for pair in [(0, 1), (2, 3)] {
        if let (Some(Some(a)), Some(Some(b))) = (dates[pair.0], dates[pair.1]) {
            if a > b {
                p.push("date order".into());
            }
        }
    }
    if props.get("destination_airport").is_some_and(|v| !v.as_str().is_some_and(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()))) {
        p.push("destination_airport".into());
    }
    if props.get("vin").is_some_and(|v| !v.as_str().is_some_and(|s| s.len() == 17 && s.bytes().all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"IOQ".contains(&b))))) {
        p.push("vin".into());
    }
    for (k, labels) in ENUMS {
        if let Some(v) = props.get(*k) {
            let code_ok = v.as_i64().is_some_and(|n| n >= 1 && n as usize <= labels.len());
            if !(code_ok || v.as_str().is_some_and(|s| labels.contains(&s))) {
                p.push((*k).into());
            }
        }
    }
}
