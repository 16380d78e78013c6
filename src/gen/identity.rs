//! The per-event `user_data`: which of a user's identifiers a sender attaches to one event.
//!
//! Senders rarely send everything they know: a page view carries a cookie-side identity and an
//! IP, a purchase adds the address, a call-centre lead has the phone number. Every event still
//! carries at least one hashed identifier or device id, so that it is matchable.

use std::sync::Arc;

use fastrand::Rng;

use super::catalog::Source;
use super::json::{Json, Obj};
use super::people::GPP;
use super::pick::{self, chance};
use super::users::User;

/// Event types where a sender knows (and sends) postal addresses.
fn wants_address(event_type: &str) -> bool {
    matches!(
        event_type,
        "purchase"
            | "refund"
            | "add_shipping_info"
            | "add_payment_info"
            | "begin_checkout"
            | "generate_lead"
            | "close_convert_lead"
            | "subscribe"
    )
}

/// Builds `user_data` for one event of `user`.
pub fn user_data(rng: &mut Rng, user: &User, event_type: &str, source: Source) -> Obj {
    let online = source.online();
    let mut o = Obj::with_capacity(20);
    let mut identified = false;
    if let Some(id) = user.customer_id.as_ref().filter(|_| chance(rng, 0.5)) {
        o.push("customer_identifier", Json::shared(id));
        identified = true;
    }
    if online && !user.uids.is_empty() && chance(rng, 0.5) {
        o.push("uids", Json::Arr(user.uids.clone()));
        identified = true;
    }
    if let Some(segment) = user.segment.filter(|_| chance(rng, 0.1)) {
        o.push("customer_segments", Json::Arr(vec![Json::lit(segment)]));
    }
    if !user.emails.is_empty() && chance(rng, 0.8) {
        o.push("email_address", hashes(&user.emails));
        identified = true;
    }
    let phone_p = if source == Source::PhoneCall {
        0.95
    } else {
        0.35
    };
    if let Some(phone) = user.phone.as_ref().filter(|_| chance(rng, phone_p)) {
        o.push("phone_numbers", Json::Arr(vec![Json::shared(phone)]));
        identified = true;
    }
    if online && chance(rng, 0.6) {
        o.push("utcoffset", Json::Int(i64::from(user.utcoffset)));
    }
    let address_p = if wants_address(event_type) { 0.7 } else { 0.08 };
    if !user.addresses.is_empty() && chance(rng, address_p) {
        o.push("address", Json::Arr(user.addresses.clone()));
    }
    if let Some(g) = user.gpp.filter(|_| online && chance(rng, 0.8)) {
        let (consent, sections) = GPP[g];
        o.push("gpp_string", Json::lit(consent));
        o.push(
            "gpp_sid",
            Json::Arr(sections.iter().map(|&s| Json::Int(s)).collect()),
        );
    }
    if chance(rng, 0.03) {
        o.push("mmt_only", Json::Bool(chance(rng, 0.3)));
    }
    device(rng, user, event_type, source, &mut o);
    identified |= o.contains("ifa");
    demographics(rng, user, &mut o);
    if !identified {
        if user.emails.is_empty() {
            o.push("customer_identifier", Json::shared(&user.any_hash()));
        } else {
            o.push("email_address", hashes(&user.emails));
        }
    }
    o
}

fn hashes(values: &[Arc<str>]) -> Json {
    Json::Arr(values.iter().map(Json::shared).collect())
}

/// Click and impression ids, network and device details for online events.
fn device(rng: &mut Rng, user: &User, event_type: &str, source: Source, o: &mut Obj) {
    if !source.online() {
        return;
    }
    let app = source == Source::App;
    let clicked = chance(rng, 0.15);
    if clicked {
        let prefix = pick::one(rng, &["Cj0KCQjw", "EAIaIQob", "IwAR"]);
        o.push(
            "click_id",
            Json::owned(format!("{prefix}{}", pick::token(rng, 40))),
        );
    }
    let impression_p = if event_type == "ad_impression" {
        0.9
    } else {
        0.04
    };
    if chance(rng, impression_p) {
        o.push("impression_id", Json::owned(pick::hex(rng, 32)));
    }
    if chance(rng, 0.9) {
        o.push("event_ip_address", Json::shared(&user.ip));
        let agent = if app { user.app_ua } else { user.web_ua };
        o.push("event_user_agent", Json::lit(agent));
    }
    if let Some(ifa) = user.ifa.as_ref().filter(|_| app) {
        o.push("ifa", Json::shared(ifa));
    }
    if clicked && chance(rng, 0.5) {
        o.push("landing_ip_address", Json::shared(&user.ip));
        o.push("landing_user_agent", Json::lit(user.web_ua));
    }
}

fn demographics(rng: &mut Rng, user: &User, o: &mut Obj) {
    if let Some(age) = user.age_range.filter(|_| chance(rng, 0.3)) {
        o.push("age_range", Json::Int(age));
    }
    if let Some(gender) = user.gender.as_ref().filter(|_| chance(rng, 0.3)) {
        o.push("gender", Json::shared(gender));
    }
}
