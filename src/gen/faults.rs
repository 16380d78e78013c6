//! Injected faults, one per invalid event, and the edits that turn a re-send into a conflict.
//!
//! Each fault mimics a real integration mistake and is built so that it is, as far as possible,
//! the event's only problem: a validator should report it and nothing else.

use std::sync::Arc;

use fastrand::Rng;

use super::catalog::foreign_event_name;
use super::events::Event;
use super::json::{format_money, Json, Obj, Text};
use super::pick;
use super::users::User;

/// The faults the generator can inject; `name()` is the key in `GenStats::by_fault`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    TimestampMilliseconds,
    UnhashedPii,
    CurrencyMissing,
    EventTypeUnknown,
    UnknownField,
    ForeignField,
    HashUppercase,
    HashOfPlaceholder,
    IpInvalid,
    DateInvalid,
    GppSidWithoutString,
    ValueItemsMismatch,
    DataSetIdMissing,
    CustomEventMissing,
    WrongType,
    TimestampFuture,
}

impl Fault {
    pub const ALL: [Fault; 16] = [
        Fault::TimestampMilliseconds,
        Fault::UnhashedPii,
        Fault::CurrencyMissing,
        Fault::EventTypeUnknown,
        Fault::UnknownField,
        Fault::ForeignField,
        Fault::HashUppercase,
        Fault::HashOfPlaceholder,
        Fault::IpInvalid,
        Fault::DateInvalid,
        Fault::GppSidWithoutString,
        Fault::ValueItemsMismatch,
        Fault::DataSetIdMissing,
        Fault::CustomEventMissing,
        Fault::WrongType,
        Fault::TimestampFuture,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::TimestampMilliseconds => "timestamp_milliseconds",
            Fault::UnhashedPii => "unhashed_pii",
            Fault::CurrencyMissing => "currency_missing",
            Fault::EventTypeUnknown => "event_type_unknown",
            Fault::UnknownField => "unknown_field",
            Fault::ForeignField => "foreign_field",
            Fault::HashUppercase => "hash_uppercase",
            Fault::HashOfPlaceholder => "hash_of_placeholder",
            Fault::IpInvalid => "ip_invalid",
            Fault::DateInvalid => "date_invalid",
            Fault::GppSidWithoutString => "gpp_sid_without_string",
            Fault::ValueItemsMismatch => "value_items_mismatch",
            Fault::DataSetIdMissing => "data_set_id_missing",
            Fault::CustomEventMissing => "custom_event_missing",
            Fault::WrongType => "wrong_type",
            Fault::TimestampFuture => "timestamp_future",
        }
    }

    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// What a fault may need besides the event itself.
pub struct FaultCtx<'a> {
    pub rng: &'a mut Rng,
    pub now: i64,
    pub user: &'a User,
    /// SHA-256 of the empty string: what a sender hashing a missing value produces.
    pub empty_hash: &'a Arc<str>,
}

/// Injects `fault` into a clean event.
pub fn apply(fault: Fault, e: &mut Event, cx: &mut FaultCtx) {
    match fault {
        Fault::UnknownField => misspell(e, cx.rng),
        Fault::ValueItemsMismatch => value_items_mismatch(e),
        Fault::DateInvalid => e
            .properties_mut()
            .set("arrival_date", Json::lit("2024-02-30")),
        Fault::UnhashedPii
        | Fault::HashUppercase
        | Fault::HashOfPlaceholder
        | Fault::IpInvalid
        | Fault::GppSidWithoutString => identity_fault(fault, e.user_data_mut(), cx),
        _ => envelope_fault(fault, &mut e.fields, cx.now),
    }
}

/// Faults in the top-level members.
fn envelope_fault(fault: Fault, f: &mut Obj, now: i64) {
    match fault {
        Fault::TimestampMilliseconds => {
            let ts = match f.get("timestamp") {
                Some(Json::Int(ts)) => *ts,
                _ => now,
            };
            f.set("timestamp", Json::Int(ts * 1000));
        }
        Fault::TimestampFuture => f.set("timestamp", Json::Int(now + 2 * 3_600)),
        Fault::CurrencyMissing => {
            let had_currency = f.remove("currency_code").is_some();
            if !had_currency {
                f.set("value", Json::Money(1_999, 2));
            }
        }
        Fault::EventTypeUnknown => {
            let current = f
                .get("event_type")
                .and_then(Json::as_str)
                .unwrap_or_default();
            f.set("event_type", Json::lit(foreign_event_name(current)));
            f.remove("custom_event");
        }
        Fault::ForeignField => {
            f.rename("event_type", "event_name");
            f.rename("timestamp", "event_time");
        }
        Fault::DataSetIdMissing => {
            f.remove("data_set_id");
        }
        Fault::CustomEventMissing => {
            f.set("event_type", Json::lit("custom"));
            f.remove("custom_event");
        }
        Fault::WrongType => {
            let text = match f.get("value") {
                Some(&Json::Money(minor, decimals)) => format_money(minor, decimals),
                _ => "12.50".to_owned(),
            };
            f.set("value", Json::owned(text));
            if !f.contains("currency_code") {
                f.set("currency_code", Json::lit("USD"));
            }
        }
        _ => {}
    }
}

/// Faults in `user_data`.
fn identity_fault(fault: Fault, ud: &mut Obj, cx: &mut FaultCtx) {
    match fault {
        Fault::UnhashedPii => {
            let raw = Json::shared(&cx.user.raw_email);
            ud.set("email_address", Json::Arr(vec![raw]));
        }
        Fault::HashUppercase => {
            let done = uppercase_a_hash(ud);
            if !done {
                let upper = cx.user.any_hash().to_ascii_uppercase();
                ud.set("email_address", Json::Arr(vec![Json::owned(upper)]));
            }
        }
        Fault::HashOfPlaceholder => {
            let placeholder = Json::shared(cx.empty_hash);
            match ud.get_mut("email_address") {
                Some(Json::Arr(hashes)) => hashes.push(placeholder),
                _ => ud.set("email_address", Json::Arr(vec![placeholder])),
            }
        }
        Fault::IpInvalid => {
            let bad = pick::one(cx.rng, &["999.12.3.4", "not-an-ip"]);
            ud.set("event_ip_address", Json::lit(bad));
        }
        Fault::GppSidWithoutString => {
            ud.remove("gpp_string");
            if !ud.contains("gpp_sid") {
                ud.push("gpp_sid", Json::Arr(vec![Json::Int(7)]));
            }
        }
        _ => {}
    }
}

/// Upper-cases the first hashed identifier found; false when `user_data` has none.
fn uppercase_a_hash(ud: &mut Obj) -> bool {
    for key in [
        "email_address",
        "phone_numbers",
        "customer_identifier",
        "gender",
    ] {
        let target = match ud.get_mut(key) {
            Some(Json::Arr(values)) => values.first_mut(),
            other => other,
        };
        if let Some(Json::Str(text)) = target {
            *text = Text::Owned(text.as_str().to_ascii_uppercase());
            return true;
        }
    }
    false
}

/// Where a misspelt member lives.
#[derive(Clone, Copy)]
enum Scope {
    Top,
    UserData,
    Properties,
}

/// Misspellings whose only consequence is the unknown member itself (so not `user_data`, whose
/// loss would also drop every identifier, nor `currency_code`, which would strand `value`).
const MISSPELLINGS: [(Scope, &str, &str); 9] = [
    (Scope::Top, "properties", "propeties"),
    (Scope::UserData, "event_user_agent", "event_useragent"),
    (Scope::UserData, "utcoffset", "utc_offset"),
    (Scope::UserData, "impression_id", "impresion_id"),
    (Scope::UserData, "age_range", "agerange"),
    (Scope::UserData, "gender", "gendre"),
    (Scope::Properties, "page_url", "page_ulr"),
    (Scope::Properties, "search_term", "serach_term"),
    (Scope::Properties, "transaction_id", "transaction_idd"),
];

/// For the rare event that has none of the members above: `source` is always present, at the
/// price of an informational "source missing" next to the unknown member.
const LAST_RESORT: (Scope, &str, &str) = (Scope::Top, "source", "sorce");

fn scope_mut(e: &mut Event, scope: Scope) -> Option<&mut Obj> {
    match scope {
        Scope::Top => Some(&mut e.fields),
        Scope::UserData => e.fields.get_mut("user_data").and_then(Json::as_obj_mut),
        Scope::Properties => e.fields.get_mut("properties").and_then(Json::as_obj_mut),
    }
}

fn misspell(e: &mut Event, rng: &mut Rng) {
    let present: Vec<usize> = (0..MISSPELLINGS.len())
        .filter(|&i| {
            let (scope, from, _) = MISSPELLINGS[i];
            scope_mut(e, scope).is_some_and(|o| o.contains(from))
        })
        .collect();
    let (scope, from, to) = match present.as_slice() {
        [] => LAST_RESORT,
        some => MISSPELLINGS[pick::one(rng, some)],
    };
    match scope_mut(e, scope) {
        Some(o) if o.contains(from) => {
            o.rename(from, to);
        }
        _ => e.fields.push("sorce", Json::lit("website")),
    }
}

/// Sum of `price × quantity` over the items, in minor units, when every item has both.
fn gross(items: &[Json]) -> Option<i64> {
    items.iter().try_fold(0, |sum, item| {
        let item = item.as_obj()?;
        let price = match item.get("price")? {
            Json::Money(p, _) => *p,
            _ => return None,
        };
        let quantity = match item.get("quantity")? {
            Json::Int(q) => *q,
            _ => return None,
        };
        Some(sum + price * quantity)
    })
}

fn value_items_mismatch(e: &mut Event) {
    let decimals = e.decimals();
    let unit = 10_i64.pow(u32::from(decimals));
    let items = e
        .fields
        .get("properties")
        .and_then(Json::as_obj)
        .and_then(|p| p.get("items"));
    let gross = items
        .and_then(Json::as_arr)
        .and_then(gross)
        .filter(|&g| g > 0);
    let value = match e.fields.get("value") {
        Some(&Json::Money(v, _)) => v,
        _ => 0,
    };
    let wrong = if let Some(gross) = gross {
        value + gross / 2 + unit
    } else {
        let price = 25 * unit;
        let mut item = Obj::with_capacity(4);
        item.push("id", Json::lit("SKU-90001"));
        item.push("name", Json::lit("Gift Card"));
        item.push("price", Json::Money(price, decimals));
        item.push("quantity", Json::Int(1));
        e.properties_mut()
            .set("items", Json::Arr(vec![Json::Obj(item)]));
        price * 2
    };
    e.fields.set("value", Json::Money(wrong, decimals));
    if !e.fields.contains("currency_code") {
        e.fields.set("currency_code", Json::lit("USD"));
    }
}

/// Changes a re-sent event so it conflicts with the original: its `value` (with `shipping`, to
/// keep the sum right) when it has one, otherwise a property.
pub fn conflict(e: &mut Event, rng: &mut Rng) {
    let unit = 10_i64.pow(u32::from(e.decimals()));
    let value = match e.fields.get("value") {
        Some(&Json::Money(v, d)) => Some((v, d)),
        _ => None,
    };
    let props = e.fields.get("properties").and_then(Json::as_obj);
    let has_items = props.is_some_and(|p| p.contains("items"));
    let shipping = match props.and_then(|p| p.get("shipping")) {
        Some(&Json::Money(s, d)) => Some((s, d)),
        _ => None,
    };
    match (value, has_items, shipping) {
        (Some((v, d)), false, _) => {
            let bump = (v / 10).max(unit);
            e.fields.set("value", Json::Money(v + bump, d));
        }
        (Some((v, d)), true, Some((s, sd))) => {
            let bump = 5 * unit;
            e.properties_mut()
                .set("shipping", Json::Money(s + bump, sd));
            e.fields.set("value", Json::Money(v + bump, d));
        }
        _ => {
            let site = e.site;
            change_property(e.properties_mut(), site, rng);
        }
    }
}

fn change_property(p: &mut Obj, site: &str, rng: &mut Rng) {
    let keys = [
        "page_url",
        "transaction_id",
        "search_term",
        "character_level",
        "post_score",
    ];
    let present: Vec<&str> = keys.into_iter().filter(|k| p.contains(k)).collect();
    let Some(&key) = present.get(rng.usize(..present.len().max(1))) else {
        let url = format!("https://{site}/?utm_content=resend");
        p.set("page_url", Json::owned(url));
        return;
    };
    let Some(member) = p.get_mut(key) else { return };
    *member = match &*member {
        Json::Int(n) => Json::Int(n + if key == "post_score" { 100 } else { 1 }),
        Json::Str(t) if key == "page_url" => {
            let sep = if t.as_str().contains('?') { '&' } else { '?' };
            Json::owned(format!("{}{sep}utm_content=resend", t.as_str()))
        }
        Json::Str(t) if key == "transaction_id" => Json::owned(format!("{}-R", t.as_str())),
        Json::Str(t) => Json::owned(format!("{} sale", t.as_str())),
        other => other.clone(),
    };
}
