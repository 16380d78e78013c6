//! An independent, strict reading of the rules clean events must follow, so the generator's
//! output is checked by code that shares nothing with it.

use serde_json::{Map, Value};

use super::user_rules::user_data;

#[rustfmt::skip]
const TOP: &[&str] = &[
    "data_set_id", "id", "timestamp", "event_type", "custom_event", "user_data", "value",
    "currency_code", "source", "properties", "ext",
];
#[rustfmt::skip]
const ITEM: &[&str] = &[
    "id", "name", "price", "discount", "quantity", "brand", "affiliation", "category", "cattax",
    "item_coupon", "item_list_id", "item_list_name", "item_item_variant", "item_location_id", "ext",
];
#[rustfmt::skip]
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
#[rustfmt::skip]
const SOURCES: &[&str] = &[
    "email", "website", "app", "phone_call", "chat", "physical_store", "system_generated",
    "business_messaging", "other",
];
#[rustfmt::skip]
const CURRENCIES: &[&str] = &["USD", "EUR", "GBP", "JPY", "CAD", "AUD", "BRL", "INR", "SEK", "CHF"];
#[rustfmt::skip]
const MONETARY: &[&str] =
    &["purchase", "refund", "subscribe", "donate", "close_convert_lead", "start_trial"];
/// The enumerated properties and their labels (the code is the 1-based position).
#[rustfmt::skip]
const ENUMS: &[(&str, &[&str])] = &[
    ("availability", &["available soon", "for rent", "for sale", "off market", "recently sold", "sale pending"]),
    ("body_style", &["convertible", "coupe", "hatchback", "minivan", "truck", "suv", "sedan", "van", "wagon", "crossover", "other"]),
    ("condition_of_vehicle", &["new", "used"]),
    ("drivetrain", &["4x2", "4x4", "awd", "fwd", "rwd", "other", "none"]),
    ("fuel_type", &["diesel", "electric", "flex", "gasoline", "hybrid", "petrol", "plugin_hybrid", "other", "none"]),
    ("listing_type", &["for rent by agent", "for rent by owner", "for sale by agent", "for sale by owner", "foreclosed", "new construction", "new listing"]),
    ("transmission", &["automatic", "manual", "other", "none"]),
];
const DAY: i64 = 86_400;

/// A member name and the test its value must pass.
pub type Check<'a> = (&'a str, &'a dyn Fn(&Value) -> bool);

/// Everything wrong with `event` as a clean event at `now`; empty when it is clean.
pub fn problems(event: &Value, now: i64, event_types: &[&str]) -> Vec<String> {
    let mut p = Vec::new();
    let Some(e) = event.as_object() else {
        return vec!["not an object".into()];
    };
    no_nulls(event, "$", &mut p);
    keys(e, TOP, "$", &mut p);
    let text = |k: &str| e.get(k).and_then(Value::as_str);
    let clean_id = |s: &str| !s.is_empty() && s.trim() == s && !s.chars().any(char::is_control);
    if !text("data_set_id").is_some_and(clean_id) {
        p.push("data_set_id".into());
    }
    if text("id").is_none_or(str::is_empty) {
        p.push("id".into());
    }
    let ts = e.get("timestamp").and_then(Value::as_i64);
    if !ts.is_some_and(|ts| ts <= now && ts >= now - 2 * DAY) {
        p.push("timestamp".into());
    }
    let t = text("event_type").unwrap_or("");
    if !event_types.contains(&t) {
        p.push(format!("event_type {t}"));
    }
    let custom_ok = match text("custom_event") {
        Some(c) => t == "custom" && !c.trim().is_empty(),
        None => t != "custom" && !e.contains_key("custom_event"),
    };
    if !custom_ok {
        p.push("custom_event".into());
    }
    if !text("source").is_some_and(|s| SOURCES.contains(&s)) {
        p.push("source".into());
    }
    money(e, t, &mut p);
    match e.get("user_data").and_then(Value::as_object) {
        Some(u) => user_data(u, &mut p),
        None => p.push("user_data missing".into()),
    }
    match e.get("properties").map(Value::as_object) {
        Some(Some(props)) => properties(props, &mut p),
        Some(None) => p.push("properties".into()),
        None => {}
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

/// Reports members of `o` that are not in `allowed`.
pub fn keys(o: &Map<String, Value>, allowed: &[&str], at: &str, p: &mut Vec<String>) {
    for k in o.keys().filter(|k| !allowed.contains(&k.as_str())) {
        p.push(format!("unknown {at}.{k}"));
    }
}

/// A non-negative amount with no more than `decimals` fraction digits.
fn amount_ok(v: &Value, decimals: i32) -> bool {
    v.as_f64().is_some_and(|x| {
        let scaled = x * 10_f64.powi(decimals);
        x >= 0.0 && (scaled - scaled.round()).abs() < 1e-6
    })
}

fn money(e: &Map<String, Value>, event_type: &str, p: &mut Vec<String>) {
    let currency = e.get("currency_code").and_then(Value::as_str);
    let decimals = if currency == Some("JPY") { 0 } else { 2 };
    match (e.get("value"), currency) {
        (None, None) if MONETARY.contains(&event_type) => {
            p.push("monetary type without value".into());
        }
        (None, None) => {}
        (Some(value), Some(code)) => {
            if !amount_ok(value, decimals) {
                p.push(format!("value {value}"));
            }
            if !CURRENCIES.contains(&code) {
                p.push(format!("currency {code}"));
            }
        }
        _ => p.push("value and currency_code not together".into()),
    }
    let Some(props) = e.get("properties").and_then(Value::as_object) else {
        return;
    };
    for key in ["shipping", "tax"] {
        if props.get(key).is_some_and(|x| !amount_ok(x, decimals)) {
            p.push(key.into());
        }
    }
    let Some(items) = props.get("items").and_then(Value::as_array) else {
        return;
    };
    let mut sum: f64 = ["shipping", "tax"]
        .iter()
        .filter_map(|k| props.get(*k)?.as_f64())
        .sum();
    for item in items {
        match item.as_object() {
            Some(item) => sum += item_net(item, decimals, p),
            None => p.push("item".into()),
        }
    }
    let value = e.get("value").and_then(Value::as_f64);
    if value.is_none_or(|v| (v - sum).abs() > 0.01) {
        p.push(format!("value {value:?} does not match items: {sum}"));
    }
}

/// Checks one item and returns `(price − discount) × quantity`.
fn item_net(item: &Map<String, Value>, decimals: i32, p: &mut Vec<String>) -> f64 {
    keys(item, ITEM, "items", p);
    let num = |k: &str| item.get(k).and_then(Value::as_f64);
    let price = num("price").unwrap_or(-1.0);
    let quantity = num("quantity").unwrap_or(0.0);
    let discount = num("discount").unwrap_or(0.0);
    let amounts = ["price", "discount"]
        .iter()
        .all(|k| item.get(*k).is_none_or(|v| amount_ok(v, decimals)));
    if !amounts || price < 0.0 || quantity <= 0.0 || (discount > 0.0 && discount >= price) {
        p.push(format!("item amounts {item:?}"));
    }
    if item
        .get("cattax")
        .is_some_and(|c| !c.as_i64().is_some_and(|c| (1..=8).contains(&c)))
    {
        p.push("cattax".into());
    }
    (price - discount) * quantity
}

/// A comparable day number for a valid `YYYY-MM-DD` or `YYYYMMDD`, else None.
pub fn date(s: &str) -> Option<i64> {
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let shape_ok = (s.len() == 10 && &s[4..5] == "-" && &s[7..8] == "-") || s.len() == 8;
    if !shape_ok || digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits[r].parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let len = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=12).contains(&m) && d >= 1 && d <= len[(m - 1) as usize];
    valid.then_some(y * 372 + m * 31 + d)
}

fn str_is(v: &Value, ok: impl Fn(&str) -> bool) -> bool {
    v.as_str().is_some_and(ok)
}

fn vin(s: &str) -> bool {
    s.len() == 17
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"IOQ".contains(&b)))
}

fn properties(props: &Map<String, Value>, p: &mut Vec<String>) {
    keys(props, PROPERTIES, "properties", p);
    let string_list = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    let checks: [Check; 8] = [
        ("page_url", &|v| {
            str_is(v, |s| s.starts_with("https://") && s.len() > 12)
        }),
        ("referrer", &|v| {
            str_is(v, |s| s.starts_with("https://") && s.len() > 12)
        }),
        ("coupon", &string_list),
        ("payment_type", &string_list),
        ("character_level", &|v| v.as_i64().is_some_and(|n| n >= 0)),
        ("post_score", &Value::is_i64),
        ("destination_airport", &|v| {
            str_is(v, |s| {
                s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
            })
        }),
        ("vin", &|v| str_is(v, vin)),
    ];
    for (key, ok) in checks {
        if props.get(key).is_some_and(|v| !ok(v)) {
            p.push(format!("properties.{key} = {}", props[key]));
        }
    }
    let day = |k: &str| props.get(k).map(|v| v.as_str().and_then(date));
    let stays = [
        ("arrival_date", "departure_date"),
        ("lease_start_date", "lease_end_date"),
    ];
    for (from, to) in stays {
        match (day(from), day(to)) {
            (Some(None), _) | (_, Some(None)) => p.push(format!("{from}/{to} not a date")),
            (Some(Some(a)), Some(Some(b))) if a > b => p.push(format!("{from} after {to}")),
            _ => {}
        }
    }
    for (k, labels) in ENUMS {
        let Some(v) = props.get(*k) else { continue };
        let code_ok = v
            .as_i64()
            .is_some_and(|n| n >= 1 && n as usize <= labels.len());
        if !(code_ok || str_is(v, |s| labels.contains(&s))) {
            p.push((*k).into());
        }
    }
}
