//! Static vocabulary for synthetic events: event types and their weights, currencies, products,
//! and the property values each event family draws from.
//!
//! Everything here is data; the weights are what make a generated stream look like real
//! traffic (page views dominate, refunds are rare) while every type of the spec still appears.

/// Every `event_type` of ECAPI 1.0 (28 standard, then the 17 additional) with its relative weight.
pub const EVENT_TYPES: [(&str, u32); 45] = [
    ("purchase", 14),
    ("page_view", 200),
    ("ad_impression", 130),
    ("add_to_wishlist", 10),
    ("add_to_cart", 45),
    ("viewed_cart", 20),
    ("viewed_item", 140),
    ("begin_checkout", 16),
    ("add_payment_info", 9),
    ("remove_from_cart", 10),
    ("refund", 4),
    ("generate_lead", 9),
    ("qualify_lead", 5),
    ("close_convert_lead", 4),
    ("disqualify_lead", 4),
    ("close_unconvert_lead", 4),
    ("sign_up", 9),
    ("search", 35),
    ("unlock_achievement", 5),
    ("install", 6),
    ("customize_product", 5),
    ("contact", 6),
    ("donate", 4),
    ("find_location", 6),
    ("schedule", 5),
    ("start_trial", 5),
    ("subscribe", 6),
    ("custom", 9),
    ("add_shipping_info", 9),
    ("share", 7),
    ("select_content", 10),
    ("select_item", 20),
    ("select_promotion", 6),
    ("view_item_list", 30),
    ("view_promotion", 12),
    ("view_search_results", 25),
    ("spend_virtual_currency", 5),
    ("earn_virtual_currency", 5),
    ("working_lead", 4),
    ("login", 20),
    ("join_group", 4),
    ("level_up", 5),
    ("post_score", 5),
    ("tutorial_begin", 5),
    ("tutorial_complete", 4),
];

/// Types that always carry `value` and `currency_code`.
pub const ALWAYS_MONETARY: [&str; 6] = [
    "purchase",
    "refund",
    "subscribe",
    "donate",
    "close_convert_lead",
    "start_trial",
];

/// Where an event happened: the spec's `source` enumeration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Email,
    Website,
    App,
    PhoneCall,
    Chat,
    PhysicalStore,
    SystemGenerated,
    BusinessMessaging,
    Other,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Email => "email",
            Source::Website => "website",
            Source::App => "app",
            Source::PhoneCall => "phone_call",
            Source::Chat => "chat",
            Source::PhysicalStore => "physical_store",
            Source::SystemGenerated => "system_generated",
            Source::BusinessMessaging => "business_messaging",
            Source::Other => "other",
        }
    }

    /// Whether a browser or app was involved, so IPs, user agents and page URLs make sense.
    pub fn online(self) -> bool {
        matches!(self, Source::Website | Source::App)
    }

    /// The mix of sources an event type realistically comes from.
    pub fn mix_for(event_type: &str) -> &'static [(Source, u32)] {
        use Source::{
            App, BusinessMessaging, Chat, Email, Other, PhoneCall, PhysicalStore, SystemGenerated,
            Website,
        };
        match event_type {
            "install"
            | "level_up"
            | "post_score"
            | "unlock_achievement"
            | "spend_virtual_currency"
            | "earn_virtual_currency"
            | "tutorial_begin"
            | "tutorial_complete"
            | "join_group" => &[(App, 85), (Website, 15)],
            "qualify_lead"
            | "close_convert_lead"
            | "disqualify_lead"
            | "close_unconvert_lead"
            | "working_lead" => &[
                (PhoneCall, 30),
                (SystemGenerated, 25),
                (Email, 15),
                (Chat, 10),
                (BusinessMessaging, 10),
                (Other, 10),
            ],
            "purchase" | "refund" => &[
                (Website, 60),
                (App, 20),
                (PhysicalStore, 12),
                (PhoneCall, 5),
                (Other, 3),
            ],
            "subscribe" => &[(Website, 55), (App, 30), (SystemGenerated, 15)],
            "contact" | "schedule" | "generate_lead" => &[
                (Website, 60),
                (PhoneCall, 15),
                (Chat, 10),
                (Email, 8),
                (BusinessMessaging, 7),
            ],
            "ad_impression" | "start_trial" => &[(Website, 70), (App, 30)],
            _ => &[(Website, 72), (App, 25), (Email, 2), (Other, 1)],
        }
    }
}

/// A currency: ISO 4217 code, decimals of its minor unit, and minor units per US cent.
pub struct Currency {
    pub code: &'static str,
    pub decimals: u8,
    pub per_us_cent: f64,
}

pub const CURRENCIES: [Currency; 10] = [
    Currency {
        code: "USD",
        decimals: 2,
        per_us_cent: 1.0,
    },
    Currency {
        code: "EUR",
        decimals: 2,
        per_us_cent: 0.92,
    },
    Currency {
        code: "GBP",
        decimals: 2,
        per_us_cent: 0.79,
    },
    Currency {
        code: "JPY",
        decimals: 0,
        per_us_cent: 1.5,
    },
    Currency {
        code: "CAD",
        decimals: 2,
        per_us_cent: 1.36,
    },
    Currency {
        code: "AUD",
        decimals: 2,
        per_us_cent: 1.52,
    },
    Currency {
        code: "BRL",
        decimals: 2,
        per_us_cent: 5.0,
    },
    Currency {
        code: "INR",
        decimals: 2,
        per_us_cent: 83.0,
    },
    Currency {
        code: "SEK",
        decimals: 2,
        per_us_cent: 10.5,
    },
    Currency {
        code: "CHF",
        decimals: 2,
        per_us_cent: 0.88,
    },
];

/// Decimals of the minor unit for a currency code (2 when unknown).
pub fn currency_decimals(code: &str) -> u8 {
    CURRENCIES
        .iter()
        .find(|c| c.code == code)
        .map_or(2, |c| c.decimals)
}

/// A few realistic `data_set_id`s and the site each one belongs to.
pub const DATA_SETS: [&str; 5] = [
    "northwind-web",
    "northwind-app",
    "contoso-travel",
    "fabrikam-motors",
    "1042387719865532",
];
pub const SITES: [&str; 5] = [
    "www.northwind-outfitters.com",
    "m.northwind-outfitters.com",
    "www.contoso-travel.com",
    "www.fabrikam-motors.com",
    "shop.woodgrove-home.com",
];

/// Another platform's name for an event, as a sender migrating from it would write it.
pub fn foreign_event_name(event_type: &str) -> &'static str {
    match event_type {
        "purchase" => "Purchase",
        "add_to_cart" => "AddToCart",
        "page_view" => "PageView",
        "viewed_item" => "ViewContent",
        "sign_up" => "CompleteRegistration",
        "generate_lead" => "Lead",
        "begin_checkout" => "InitiateCheckout",
        "add_payment_info" => "AddPaymentInfo",
        "add_to_wishlist" => "AddToWishlist",
        "subscribe" => "Subscribe",
        "start_trial" => "StartTrial",
        "search" => "Search",
        "contact" => "Contact",
        _ => "CompletePayment",
    }
}

/// Lines that are not JSON at all: what a misconfigured proxy or sender puts on the wire.
pub const GARBAGE_LINES: [&str; 7] = [
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    "HTTP/1.1 500 Internal Server Error",
    "{'event_type': 'purchase', 'value': 12.5}",
    "undefined",
    "[object Object]",
    "{\"event_type\":\"purchase\",\"value\":NaN}",
    "event_type=purchase&value=12.50&currency_code=USD",
];
