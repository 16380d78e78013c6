//! Vocabulary for event bodies: the product catalogue, subscription plans, and the values each
//! property draws from (promotions, ad placements, games, travel, vehicles).

/// A catalogue product: SKU, name, brand, category, price in US cents, variants.
pub struct Product {
    pub sku: &'static str,
    pub name: &'static str,
    pub brand: &'static str,
    pub category: &'static str,
    pub us_cents: i64,
    pub variants: &'static [&'static str],
}

const SIZES: &[&str] = &["size_s", "size_m", "size_l", "size_xl"];
const SHOE_SIZES: &[&str] = &["eu_40", "eu_41", "eu_42", "eu_43", "eu_44"];
const COLOURS: &[&str] = &["black", "navy", "graphite", "sand", "forest_green"];
const CAPACITY: &[&str] = &["128gb", "256gb", "512gb"];
const NONE: &[&str] = &[];

#[rustfmt::skip]
pub const PRODUCTS: [Product; 20] = [
    Product { sku: "SKU-10482", name: "Trail Runner 2 Shoe", brand: "Northwind", category: "Apparel and Accessories", us_cents: 12_999, variants: SHOE_SIZES },
    Product { sku: "SKU-10517", name: "Merino Crew Sweater", brand: "Northwind", category: "Apparel and Accessories", us_cents: 8_950, variants: SIZES },
    Product { sku: "SKU-11020", name: "Waterproof Shell Jacket", brand: "Alpine Co", category: "Apparel and Accessories", us_cents: 21_900, variants: SIZES },
    Product { sku: "SKU-11873", name: "Organic Cotton Tee", brand: "Basics Lab", category: "Apparel and Accessories", us_cents: 2_400, variants: COLOURS },
    Product { sku: "SKU-20114", name: "Noise Cancelling Headphones", brand: "Sonique", category: "Consumer Electronics", us_cents: 29_999, variants: COLOURS },
    Product { sku: "SKU-20391", name: "Smartphone X12", brand: "Zentek", category: "Consumer Electronics", us_cents: 79_900, variants: CAPACITY },
    Product { sku: "SKU-20455", name: "USB-C Charging Cable 2m", brand: "Zentek", category: "Consumer Electronics", us_cents: 1_499, variants: NONE },
    Product { sku: "SKU-20702", name: "Fitness Tracker Band", brand: "Pulse", category: "Consumer Electronics", us_cents: 5_995, variants: COLOURS },
    Product { sku: "SKU-30018", name: "Cast Iron Skillet 26cm", brand: "Hearth", category: "Home and Garden", us_cents: 4_500, variants: NONE },
    Product { sku: "SKU-30244", name: "Linen Duvet Cover", brand: "Hearth", category: "Home and Garden", us_cents: 11_900, variants: COLOURS },
    Product { sku: "SKU-30311", name: "Pour Over Coffee Set", brand: "Brewhaus", category: "Home and Garden", us_cents: 3_850, variants: NONE },
    Product { sku: "SKU-30560", name: "Cordless Drill Kit", brand: "Torque", category: "Home and Garden", us_cents: 9_999, variants: NONE },
    Product { sku: "SKU-40007", name: "Yoga Mat Pro", brand: "Flowfit", category: "Sporting Goods", us_cents: 6_800, variants: COLOURS },
    Product { sku: "SKU-40132", name: "Carbon Road Bike Helmet", brand: "Velo", category: "Sporting Goods", us_cents: 14_900, variants: SIZES },
    Product { sku: "SKU-40288", name: "Insulated Water Bottle", brand: "Flowfit", category: "Sporting Goods", us_cents: 2_995, variants: COLOURS },
    Product { sku: "SKU-50041", name: "Vitamin C Serum", brand: "Lumen", category: "Beauty and Personal Care", us_cents: 3_200, variants: NONE },
    Product { sku: "SKU-50077", name: "Hydrating Face Cream", brand: "Lumen", category: "Beauty and Personal Care", us_cents: 4_100, variants: NONE },
    Product { sku: "SKU-60012", name: "Hardcover Cookbook", brand: "Larder Press", category: "Books and Literature", us_cents: 2_800, variants: NONE },
    Product { sku: "SKU-60090", name: "Kids Building Blocks 500pc", brand: "Brickly", category: "Toys and Games", us_cents: 4_999, variants: NONE },
    Product { sku: "SKU-70003", name: "Espresso Beans 1kg", brand: "Brewhaus", category: "Food and Beverage", us_cents: 2_650, variants: NONE },
];

/// Subscription plans for `subscribe` and `start_trial`: id, name, price in US cents.
pub const PLANS: [(&str, &str, i64); 4] = [
    ("plan_basic_monthly", "Basic monthly", 999),
    ("plan_standard_monthly", "Standard monthly", 1_599),
    ("plan_premium_monthly", "Premium monthly", 2_299),
    ("plan_premium_annual", "Premium annual", 21_999),
];

pub const ITEM_LISTS: [(&str, &str); 6] = [
    ("featured", "Featured products"),
    ("related_products", "Related products"),
    ("new_arrivals", "New arrivals"),
    ("summer_sale", "Summer sale"),
    ("search_results", "Search results"),
    ("recently_viewed", "Recently viewed"),
];

pub const STORES: [&str; 5] = [
    "store_nyc_0042",
    "store_lon_0007",
    "store_ber_0013",
    "store_tyo_0021",
    "warehouse_ca_02",
];
pub const AFFILIATIONS: [&str; 3] = ["online_store", "marketplace_partner", "flagship_store"];
pub const COUPONS: [&str; 5] = ["SPRING10", "WELCOME15", "FREESHIP", "VIP20", "BUNDLE5"];
pub const PAYMENT_TYPES: [&str; 6] = [
    "credit_card",
    "paypal",
    "apple_pay",
    "google_pay",
    "gift_card",
    "klarna",
];
pub const SHIPPING_TIERS: [&str; 4] = ["ground", "express", "next_day", "store_pickup"];
pub const LOGIN_METHODS: [&str; 6] = ["email", "google", "apple", "facebook", "sso", "phone"];

pub const LEAD_SOURCES: [&str; 6] = [
    "website_form",
    "paid_search",
    "referral",
    "trade_show",
    "inbound_call",
    "webinar",
];
pub const LEAD_REASONS: [&str; 6] = [
    "pricing_request",
    "demo_request",
    "budget_approved",
    "no_budget",
    "no_response",
    "chose_competitor",
];

pub const SEARCH_TERMS: [&str; 10] = [
    "running shoes",
    "waterproof jacket",
    "wireless headphones",
    "coffee grinder",
    "yoga mat",
    "gift ideas",
    "winter boots",
    "usb c cable",
    "face serum",
    "kids toys",
];
pub const LOCATION_TERMS: [&str; 4] = [
    "stores near me",
    "store hours downtown",
    "pickup point 10001",
    "outlet berlin",
];

pub const PROMOTIONS: [(&str, &str, &str, &str); 4] = [
    (
        "promo_summer_25",
        "Summer Sale 25% Off",
        "summer_hero_v2",
        "homepage_hero",
    ),
    (
        "promo_freeship",
        "Free Shipping Weekend",
        "freeship_banner",
        "top_banner",
    ),
    (
        "promo_new_arrivals",
        "New Arrivals",
        "new_in_tile",
        "category_tile_2",
    ),
    (
        "promo_app_only",
        "App Exclusive 10%",
        "app_only_card",
        "checkout_sidebar",
    ),
];

/// `ad_source` (a `utm_source` value), `ad_platform`, `ad_format`, `ad_unit_name`.
pub const AD_SOURCES: [&str; 6] = [
    "google",
    "facebook",
    "tiktok",
    "newsletter",
    "bing",
    "criteo",
];
pub const AD_PLATFORMS: [&str; 5] = [
    "google_ad_manager",
    "the_trade_desk",
    "meta_audience_network",
    "amazon_dsp",
    "criteo",
];
pub const AD_FORMATS: [&str; 5] = ["banner", "video", "native", "interstitial", "rewarded"];
pub const AD_UNITS: [&str; 5] = [
    "homepage_leaderboard_728x90",
    "article_mpu_300x250",
    "feed_native_1",
    "preroll_15s",
    "app_rewarded_video",
];

pub const VIRTUAL_CURRENCIES: [&str; 3] = ["gems", "gold_coins", "energy"];
pub const VIRTUAL_ITEMS: [&str; 5] = [
    "golden_sword",
    "extra_life",
    "speed_boost",
    "dragon_skin",
    "treasure_chest",
];
pub const CHARACTERS: [&str; 4] = ["warrior", "mage", "ranger", "healer"];
pub const ACHIEVEMENTS: [&str; 4] = ["first_win", "dragon_slayer", "collector_100", "perfect_run"];
pub const GROUPS: [&str; 4] = [
    "guild_night_owls",
    "clan_4417",
    "runners_club_berlin",
    "book_club_scifi",
];
pub const CUSTOM_EVENTS: [&str; 6] = [
    "quote_requested",
    "store_visit",
    "newsletter_signup",
    "video_watched_75",
    "calculator_used",
    "brochure_download",
];

pub const PAGE_PATHS: [&str; 10] = [
    "/",
    "/products/trail-runner-2",
    "/collections/new-arrivals",
    "/blog/how-to-choose-running-shoes",
    "/cart",
    "/checkout",
    "/account",
    "/help/shipping",
    "/stores",
    "/pricing",
];
/// Pages that carry ads: content, not checkout.
pub const AD_PAGE_PATHS: [&str; 4] = [
    "/",
    "/blog/how-to-choose-running-shoes",
    "/blog/10-gift-ideas-under-50",
    "/collections/new-arrivals",
];
pub const REFERRERS: [&str; 6] = [
    "https://www.google.com/",
    "https://www.facebook.com/",
    "https://t.co/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
    "https://www.instagram.com/",
];

/// Real IATA airport codes for travel events.
pub const AIRPORTS: [&str; 16] = [
    "JFK", "LAX", "LHR", "CDG", "FRA", "NRT", "HND", "SFO", "ORD", "ATL", "DXB", "SIN", "AMS",
    "MAD", "FCO", "GRU",
];
pub const HOTEL_NIGHT_US_CENTS: [i64; 4] = [11_900, 15_900, 22_900, 34_900];

/// A vehicle model: make, model, WMI, body style, drivetrain and fuel type (1-based spec codes),
/// and a list price in US cents.
pub struct Vehicle {
    pub make: &'static str,
    pub model: &'static str,
    pub wmi: &'static str,
    pub body_style: usize,
    pub drivetrain: usize,
    pub fuel_type: usize,
    pub us_cents: i64,
}

#[rustfmt::skip]
pub const VEHICLES: [Vehicle; 8] = [
    Vehicle { make: "Toyota", model: "Camry", wmi: "4T1", body_style: 7, drivetrain: 4, fuel_type: 5, us_cents: 2_899_500 },
    Vehicle { make: "Honda", model: "Civic", wmi: "2HG", body_style: 3, drivetrain: 4, fuel_type: 4, us_cents: 2_495_000 },
    Vehicle { make: "Ford", model: "F-150", wmi: "1FT", body_style: 5, drivetrain: 2, fuel_type: 4, us_cents: 4_799_000 },
    Vehicle { make: "Tesla", model: "Model 3", wmi: "5YJ", body_style: 7, drivetrain: 5, fuel_type: 2, us_cents: 3_899_000 },
    Vehicle { make: "BMW", model: "X5", wmi: "5UX", body_style: 6, drivetrain: 3, fuel_type: 7, us_cents: 6_650_000 },
    Vehicle { make: "Subaru", model: "Outback", wmi: "4S4", body_style: 9, drivetrain: 3, fuel_type: 4, us_cents: 3_099_500 },
    Vehicle { make: "Kia", model: "Sportage", wmi: "KND", body_style: 10, drivetrain: 4, fuel_type: 5, us_cents: 2_899_000 },
    Vehicle { make: "Volkswagen", model: "Golf", wmi: "WVW", body_style: 3, drivetrain: 4, fuel_type: 6, us_cents: 2_750_000 },
];
pub const EXTERIOR_COLORS: [&str; 6] = [
    "Midnight Black",
    "Pearl White",
    "Lunar Silver",
    "Deep Blue",
    "Ruby Red",
    "Graphite Grey",
];

/// The spec's labels for the vehicle and listing enumerations (code = index + 1), from the
/// schema the validator uses, so generator and validator cannot drift apart.
pub use crate::ecapi::schema::{
    AVAILABILITY as AVAILABILITIES, BODY_STYLES, DRIVETRAINS, FUEL_TYPES, LISTING_TYPES,
    TRANSMISSIONS, VEHICLE_CONDITIONS as CONDITIONS,
};
