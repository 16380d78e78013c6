//! `properties` (and the event's `value`) for each event type.
//!
//! Every type gets the members a real sender would attach to it; monetary amounts are computed
//! in minor units so that `value` always equals the items, shipping and tax exactly.

use fastrand::Rng;

use super::catalog::{Currency, Source};
use super::json::{Json, Obj};
use super::pick::{self, chance};
use super::vocab::{
    ACHIEVEMENTS, AD_FORMATS, AD_PAGE_PATHS, AD_PLATFORMS, AD_SOURCES, AD_UNITS, CHARACTERS,
    CUSTOM_EVENTS, GROUPS, LEAD_REASONS, LEAD_SOURCES, LOCATION_TERMS, LOGIN_METHODS, PAGE_PATHS,
    PAYMENT_TYPES, PLANS, PROMOTIONS, REFERRERS, SEARCH_TERMS, VIRTUAL_CURRENCIES, VIRTUAL_ITEMS,
};
use super::{commerce, vertical};

/// What an event type contributes besides its envelope.
pub struct Ctx<'a> {
    pub rng: &'a mut Rng,
    pub event_type: &'static str,
    pub source: Source,
    pub currency: &'static Currency,
    pub site: &'static str,
    pub now: i64,
}

/// The `properties` object, the event's `value` in minor units, and `custom_event`.
#[derive(Default)]
pub struct Body {
    pub properties: Obj,
    pub value: Option<i64>,
    pub custom_event: Option<&'static str>,
}

impl Ctx<'_> {
    /// An amount in this event's currency, converted from US cents with shop-style rounding.
    pub fn price(&self, us_cents: i64) -> i64 {
        let minor = (us_cents as f64 * self.currency.per_us_cent).round() as i64;
        if self.currency.decimals == 0 {
            return ((minor + 5) / 10 * 10).max(10);
        }
        if minor >= 200 {
            (minor + 50) / 100 * 100 - 1
        } else {
            minor.max(1)
        }
    }

    pub fn money(&self, minor: i64) -> Json {
        Json::Money(minor, self.currency.decimals)
    }

    /// An absolute https URL on this data set's site.
    pub fn url(&self, path: &str) -> Json {
        Json::owned(format!("https://{}{path}", self.site))
    }

    fn lit(&mut self, values: &[&'static str]) -> Json {
        Json::lit(pick::one(self.rng, values))
    }

    fn chance(&mut self, p: f64) -> bool {
        chance(self.rng, p)
    }
}

/// Builds the body for `ctx.event_type`.
pub fn body(ctx: &mut Ctx) -> Body {
    let mut b = Body::default();
    match ctx.event_type {
        "purchase" | "refund" => commerce::order(ctx, &mut b),
        "add_to_cart" | "remove_from_cart" | "add_to_wishlist" | "customize_product"
        | "viewed_cart" | "begin_checkout" | "add_payment_info" | "add_shipping_info" => {
            commerce::cart(ctx, &mut b);
        }
        "view_item_list" | "view_search_results" | "select_item" => commerce::list(ctx, &mut b),
        "viewed_item" => viewed_item(ctx, &mut b),
        "subscribe" | "start_trial" | "donate" => payment(ctx, &mut b),
        "generate_lead"
        | "qualify_lead"
        | "close_convert_lead"
        | "disqualify_lead"
        | "close_unconvert_lead"
        | "working_lead" => lead(ctx, &mut b),
        "level_up"
        | "post_score"
        | "unlock_achievement"
        | "spend_virtual_currency"
        | "earn_virtual_currency"
        | "join_group" => game(ctx, &mut b.properties),
        _ => web(ctx, &mut b),
    }
    b
}

/// Adds `page_url` (and sometimes `referrer`) for website events.
pub fn page(ctx: &mut Ctx, p: &mut Obj, path: &str) {
    if ctx.source != Source::Website || !ctx.chance(0.9) {
        return;
    }
    p.push("page_url", ctx.url(path));
    if ctx.chance(0.3) {
        p.push("referrer", ctx.lit(&REFERRERS));
    }
}

fn viewed_item(ctx: &mut Ctx, b: &mut Body) {
    match ctx.rng.u8(0..20) {
        0..=2 => vertical::travel(ctx, b),
        3..=5 => vertical::vehicle(ctx, b),
        _ => commerce::cart(ctx, b),
    }
}

fn web(ctx: &mut Ctx, b: &mut Body) {
    let p = &mut b.properties;
    match ctx.event_type {
        "search" => {
            let term = pick::one(ctx.rng, &SEARCH_TERMS);
            page(ctx, p, &format!("/search?q={}", term.replace(' ', "+")));
            p.push("search_term", Json::lit(term));
        }
        "find_location" => {
            page(ctx, p, "/stores");
            p.push("search_term", ctx.lit(&LOCATION_TERMS));
        }
        "login" | "sign_up" => {
            page(ctx, p, "/account");
            p.push("login_method", ctx.lit(&LOGIN_METHODS));
        }
        "view_promotion" | "select_promotion" => {
            page(ctx, p, "/");
            let (id, name, creative, slot) = pick::one(ctx.rng, &PROMOTIONS);
            p.push("promotion_id", Json::lit(id));
            p.push("promotion_name", Json::lit(name));
            p.push("creative_name", Json::lit(creative));
            p.push("creative_slot", Json::lit(slot));
        }
        "ad_impression" => {
            let path = pick::one(ctx.rng, &AD_PAGE_PATHS);
            page(ctx, p, path);
            p.push("ad_source", ctx.lit(&AD_SOURCES));
            p.push("ad_platform", ctx.lit(&AD_PLATFORMS));
            p.push("ad_format", ctx.lit(&AD_FORMATS));
            p.push("ad_unit_name", ctx.lit(&AD_UNITS));
        }
        "install" => {
            if ctx.chance(0.5) {
                p.push("ad_source", ctx.lit(&AD_SOURCES));
            }
        }
        "custom" => {
            b.custom_event = Some(pick::one(ctx.rng, &CUSTOM_EVENTS));
            let path = pick::one(ctx.rng, &PAGE_PATHS);
            page(ctx, p, path);
        }
        _ => {
            let path = pick::one(ctx.rng, &PAGE_PATHS);
            page(ctx, p, path);
        }
    }
}

fn payment(ctx: &mut Ctx, b: &mut Body) {
    let p = &mut b.properties;
    let value = if ctx.event_type == "donate" {
        let us_cents = pick::one(ctx.rng, &[500, 1_000, 2_500, 5_000, 10_000, 25_000]);
        ctx.price(us_cents)
    } else {
        let (plan, name, us_cents) = pick::one(ctx.rng, &PLANS);
        let free_trial = ctx.event_type == "start_trial" && ctx.chance(0.6);
        let price = if free_trial { 0 } else { ctx.price(us_cents) };
        let mut item = Obj::with_capacity(4);
        item.push("id", Json::lit(plan));
        item.push("name", Json::lit(name));
        item.push("price", ctx.money(price));
        item.push("quantity", Json::Int(1));
        p.push("items", Json::Arr(vec![Json::Obj(item)]));
        price
    };
    if ctx.event_type != "start_trial" {
        p.push(
            "transaction_id",
            Json::owned(commerce::transaction_id(ctx.rng)),
        );
        p.push("payment_type", Json::Arr(vec![ctx.lit(&PAYMENT_TYPES)]));
    }
    page(ctx, p, "/checkout");
    b.value = Some(value);
}

fn lead(ctx: &mut Ctx, b: &mut Body) {
    let status = match ctx.event_type {
        "generate_lead" => "new",
        "working_lead" => "contacted",
        "qualify_lead" => "qualified",
        "close_convert_lead" => "converted",
        "disqualify_lead" => "disqualified",
        _ => "unconverted",
    };
    let p = &mut b.properties;
    page(ctx, p, "/contact");
    p.push("lead_source", ctx.lit(&LEAD_SOURCES));
    p.push("lead_status", Json::lit(status));
    if ctx.chance(0.7) {
        p.push("lead_reason", ctx.lit(&LEAD_REASONS));
    }
    let valued = match ctx.event_type {
        "close_convert_lead" => true,
        "generate_lead" | "qualify_lead" => ctx.chance(0.5),
        _ => false,
    };
    if valued {
        let us_cents = pick::one(ctx.rng, &[5_000, 25_000, 120_000, 480_000, 1_500_000]);
        b.value = Some(ctx.price(us_cents));
    }
}

fn game(ctx: &mut Ctx, p: &mut Obj) {
    match ctx.event_type {
        "level_up" => {
            p.push("character", ctx.lit(&CHARACTERS));
            p.push("character_level", Json::Int(ctx.rng.i64(1..=80)));
        }
        "post_score" => {
            p.push("post_score", Json::Int(ctx.rng.i64(0..=250_000)));
            if ctx.chance(0.5) {
                p.push("character", ctx.lit(&CHARACTERS));
                p.push("character_level", Json::Int(ctx.rng.i64(0..=80)));
            }
        }
        "unlock_achievement" => p.push("achievement_id", ctx.lit(&ACHIEVEMENTS)),
        "spend_virtual_currency" => {
            p.push("virtual_currency_name", ctx.lit(&VIRTUAL_CURRENCIES));
            p.push("virtual_item_name", ctx.lit(&VIRTUAL_ITEMS));
        }
        "earn_virtual_currency" => p.push("virtual_currency_name", ctx.lit(&VIRTUAL_CURRENCIES)),
        _ => p.push("group_id", ctx.lit(&GROUPS)),
    }
}
