//! Baskets of catalogue items for commerce events, and the amounts derived from them.
//!
//! Amounts stay in minor units from price to `value`, so that
//! `value = Σ(price×quantity) − Σ(discount×quantity) + shipping + tax` holds exactly.

use fastrand::Rng;

use super::catalog::Source;
use super::json::{Json, Obj};
use super::pick::{self, chance};
use super::props::{page, Body, Ctx};
use super::vocab::{
    Product, AFFILIATIONS, COUPONS, ITEM_LISTS, PAYMENT_TYPES, PRODUCTS, SEARCH_TERMS,
    SHIPPING_TIERS, STORES,
};

/// A list an item was shown in: `item_list_id` and `item_list_name`.
type List = (&'static str, &'static str);

/// An order reference as a shop system would print it.
pub fn transaction_id(rng: &mut Rng) -> String {
    let digits: String = (0..10).map(|_| rng.digit(10)).collect();
    format!("ORD-{digits}")
}

/// purchase and refund: an order with shipping, tax and payment details.
pub fn order(ctx: &mut Ctx, b: &mut Body) {
    let refund = ctx.event_type == "refund";
    let n = if refund {
        ctx.rng.usize(1..=2)
    } else {
        pick::one(ctx.rng, &[1, 1, 1, 2, 2, 3, 4])
    };
    let start = ctx.rng.usize(..PRODUCTS.len());
    let (items, net) = basket(ctx, start, n, None, 3);
    let p = &mut b.properties;
    p.push("transaction_id", Json::owned(transaction_id(ctx.rng)));
    p.push("items", Json::Arr(items));
    page(
        ctx,
        p,
        if refund {
            "/account/orders"
        } else {
            "/checkout/confirmation"
        },
    );
    if !refund && chance(ctx.rng, 0.2) {
        p.push(
            "coupon",
            Json::Arr(vec![Json::lit(pick::one(ctx.rng, &COUPONS))]),
        );
    }
    let tier = pick::one(ctx.rng, &SHIPPING_TIERS);
    let free_shipping = refund
        || ctx.source == Source::PhysicalStore
        || tier == "store_pickup"
        || net >= ctx.price(10_000);
    let shipping = if free_shipping {
        0
    } else {
        ctx.price(if tier == "ground" { 599 } else { 1_499 })
    };
    let tax = (net * 8 + 50) / 100;
    if !refund {
        p.push("shipping", ctx.money(shipping));
    }
    p.push("tax", ctx.money(tax));
    let mut payment = vec![Json::lit(pick::one(ctx.rng, &PAYMENT_TYPES))];
    if chance(ctx.rng, 0.1) {
        payment.insert(0, Json::lit("gift_card"));
    }
    p.push("payment_type", Json::Arr(payment));
    if !refund && ctx.source != Source::PhysicalStore {
        p.push("shipping_tier", Json::lit(tier));
    }
    b.value = Some(net + shipping + tax);
}

/// Cart and checkout steps, and product detail views: items valued at their net price.
pub fn cart(ctx: &mut Ctx, b: &mut Body) {
    let n = match ctx.event_type {
        "viewed_cart" | "begin_checkout" | "add_payment_info" | "add_shipping_info" => {
            pick::one(ctx.rng, &[1, 1, 2, 2, 3, 4])
        }
        _ => 1,
    };
    let start = ctx.rng.usize(..PRODUCTS.len());
    let (items, net) = basket(ctx, start, n, None, if n == 1 { 2 } else { 3 });
    let path = match ctx.event_type {
        "viewed_item" | "add_to_wishlist" | "customize_product" => {
            format!("/products/{}", PRODUCTS[start].sku.to_ascii_lowercase())
        }
        "viewed_cart" | "add_to_cart" | "remove_from_cart" => "/cart".to_owned(),
        _ => "/checkout".to_owned(),
    };
    let p = &mut b.properties;
    p.push("items", Json::Arr(items));
    page(ctx, p, &path);
    match ctx.event_type {
        "begin_checkout" if chance(ctx.rng, 0.15) => {
            p.push(
                "coupon",
                Json::Arr(vec![Json::lit(pick::one(ctx.rng, &COUPONS))]),
            );
        }
        "add_payment_info" => {
            p.push(
                "payment_type",
                Json::Arr(vec![Json::lit(pick::one(ctx.rng, &PAYMENT_TYPES))]),
            );
        }
        "add_shipping_info" => p.push(
            "shipping_tier",
            Json::lit(pick::one(ctx.rng, &SHIPPING_TIERS)),
        ),
        _ => {}
    }
    b.value = Some(net);
}

/// Item lists and search results, each item shown once.
pub fn list(ctx: &mut Ctx, b: &mut Body) {
    let search = ctx.event_type == "view_search_results";
    let list = if search {
        ("search_results", "Search results")
    } else {
        pick::one(ctx.rng, &ITEM_LISTS)
    };
    let n = if ctx.event_type == "select_item" {
        1
    } else {
        ctx.rng.usize(4..=8)
    };
    let start = ctx.rng.usize(..PRODUCTS.len());
    let (items, net) = basket(ctx, start, n, Some(list), 1);
    let p = &mut b.properties;
    p.push("items", Json::Arr(items));
    if search {
        let term = pick::one(ctx.rng, &SEARCH_TERMS);
        page(ctx, p, &format!("/search?q={}", term.replace(' ', "+")));
        p.push("search_term", Json::lit(term));
    } else {
        page(ctx, p, "/collections/new-arrivals");
    }
    b.value = Some(net);
}

/// `n` distinct products from `start` on, with quantities up to `max_quantity`; returns the items
/// and their net total (prices less discounts, times quantities).
fn basket(
    ctx: &mut Ctx,
    start: usize,
    n: usize,
    list: Option<List>,
    max_quantity: i64,
) -> (Vec<Json>, i64) {
    let mut net = 0;
    let items = (0..n.min(PRODUCTS.len()))
        .map(|k| {
            let product = &PRODUCTS[(start + k * 7) % PRODUCTS.len()];
            let quantity = match ctx.rng.u8(0..100) {
                0..=74 => 1,
                75..=92 => 2,
                _ => 3,
            }
            .min(max_quantity);
            let (json, line) = item(ctx, product, quantity, list);
            net += line;
            json
        })
        .collect();
    (items, net)
}

fn item(ctx: &mut Ctx, product: &Product, quantity: i64, list: Option<List>) -> (Json, i64) {
    let price = ctx.price(product.us_cents);
    let discount = if chance(ctx.rng, 0.15) {
        discount(ctx, price)
    } else {
        0
    };
    let mut o = Obj::with_capacity(14);
    o.push("id", Json::lit(product.sku));
    o.push("name", Json::lit(product.name));
    o.push("price", ctx.money(price));
    if discount > 0 {
        o.push("discount", ctx.money(discount));
    }
    o.push("quantity", Json::Int(quantity));
    o.push("brand", Json::lit(product.brand));
    if chance(ctx.rng, 0.1) {
        o.push("affiliation", Json::lit(pick::one(ctx.rng, &AFFILIATIONS)));
    }
    o.push("category", Json::lit(product.category));
    o.push(
        "cattax",
        Json::Int(if chance(ctx.rng, 0.8) { 8 } else { 3 }),
    );
    if discount > 0 {
        o.push("item_coupon", Json::lit(pick::one(ctx.rng, &COUPONS)));
    }
    if let Some((id, name)) = list {
        o.push("item_list_id", Json::lit(id));
        o.push("item_list_name", Json::lit(name));
    }
    if !product.variants.is_empty() && chance(ctx.rng, 0.6) {
        o.push(
            "item_item_variant",
            Json::lit(pick::one(ctx.rng, product.variants)),
        );
    }
    if ctx.source == Source::PhysicalStore || chance(ctx.rng, 0.05) {
        o.push("item_location_id", Json::lit(pick::one(ctx.rng, &STORES)));
    }
    (Json::Obj(o), (price - discount) * quantity)
}

/// A 10–25 % unit discount, rounded to what the currency can express, always below the price.
fn discount(ctx: &mut Ctx, price: i64) -> i64 {
    let percent = pick::one(ctx.rng, &[10, 15, 20, 25]);
    let mut d = price * percent / 100;
    if ctx.currency.decimals == 0 {
        d = d / 10 * 10;
    }
    if d >= price {
        0
    } else {
        d
    }
}
