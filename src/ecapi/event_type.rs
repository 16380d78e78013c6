//! The `event_type` enumeration: the spec's standard and additional events, and the names other
//! platforms use for them (so an unknown type can be answered with the ECAPI one to send).

use crate::fasthash::FastMap;
use std::sync::OnceLock;

/// Whether the spec lists a type among its standard or its additional events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventTier {
    Standard,
    Additional,
}

/// Every `event_type` of ECAPI 1.0, standard events first, in the spec's order.
pub const EVENT_TYPES: [(&str, EventTier); COUNT] = [
    ("purchase", EventTier::Standard),
    ("page_view", EventTier::Standard),
    ("ad_impression", EventTier::Standard),
    ("add_to_wishlist", EventTier::Standard),
    ("add_to_cart", EventTier::Standard),
    ("viewed_cart", EventTier::Standard),
    ("viewed_item", EventTier::Standard),
    ("begin_checkout", EventTier::Standard),
    ("add_payment_info", EventTier::Standard),
    ("remove_from_cart", EventTier::Standard),
    ("refund", EventTier::Standard),
    ("generate_lead", EventTier::Standard),
    ("qualify_lead", EventTier::Standard),
    ("close_convert_lead", EventTier::Standard),
    ("disqualify_lead", EventTier::Standard),
    ("close_unconvert_lead", EventTier::Standard),
    ("sign_up", EventTier::Standard),
    ("search", EventTier::Standard),
    ("unlock_achievement", EventTier::Standard),
    ("install", EventTier::Standard),
    ("customize_product", EventTier::Standard),
    ("contact", EventTier::Standard),
    ("donate", EventTier::Standard),
    ("find_location", EventTier::Standard),
    ("schedule", EventTier::Standard),
    ("start_trial", EventTier::Standard),
    ("subscribe", EventTier::Standard),
    ("custom", EventTier::Standard),
    ("add_shipping_info", EventTier::Additional),
    ("share", EventTier::Additional),
    ("select_content", EventTier::Additional),
    ("select_item", EventTier::Additional),
    ("select_promotion", EventTier::Additional),
    ("view_item_list", EventTier::Additional),
    ("view_promotion", EventTier::Additional),
    ("view_search_results", EventTier::Additional),
    ("spend_virtual_currency", EventTier::Additional),
    ("earn_virtual_currency", EventTier::Additional),
    ("working_lead", EventTier::Additional),
    ("login", EventTier::Additional),
    ("join_group", EventTier::Additional),
    ("level_up", EventTier::Additional),
    ("post_score", EventTier::Additional),
    ("tutorial_begin", EventTier::Additional),
    ("tutorial_complete", EventTier::Additional),
];

/// The number of event types: 28 standard and 17 additional.
pub const COUNT: usize = 45;

/// An ECAPI event type, as a compact index into [`EVENT_TYPES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventType(u8);

impl EventType {
    /// Looks an exact (case-sensitive) name up.
    pub fn parse(name: &str) -> Option<EventType> {
        static INDEX: OnceLock<FastMap<&'static str, u8>> = OnceLock::new();
        let index = INDEX.get_or_init(|| {
            EVENT_TYPES
                .iter()
                .enumerate()
                .map(|(i, (n, _))| (*n, i as u8))
                .collect()
        });
        index.get(name).map(|i| EventType(*i))
    }

    pub fn name(self) -> &'static str {
        EVENT_TYPES[self.0 as usize].0
    }

    pub fn tier(self) -> EventTier {
        EVENT_TYPES[self.0 as usize].1
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub fn from_index(index: usize) -> Option<EventType> {
        (index < COUNT).then_some(EventType(index as u8))
    }

    pub fn all() -> impl Iterator<Item = EventType> {
        (0..COUNT).map(|i| EventType(i as u8))
    }

    pub const CUSTOM: EventType = EventType(27);
    pub const PURCHASE: EventType = EventType(0);
}

/// Event names of other platforms' conversion APIs and tag managers, with the ECAPI type that
/// means the same thing. Looked up after a case- and separator-insensitive match failed.
const FOREIGN_EVENT_NAMES: &[(&str, &str)] = &[
    ("pageview", "page_view"),
    ("page_visit", "page_view"),
    ("viewcontent", "viewed_item"),
    ("view_content", "viewed_item"),
    ("view_item", "viewed_item"),
    ("view_cart", "viewed_cart"),
    ("initiatecheckout", "begin_checkout"),
    ("initiate_checkout", "begin_checkout"),
    ("start_checkout", "begin_checkout"),
    ("checkout", "purchase"),
    ("completepayment", "purchase"),
    ("complete_payment", "purchase"),
    ("placeanorder", "purchase"),
    ("place_an_order", "purchase"),
    ("add_cart", "add_to_cart"),
    ("lead", "generate_lead"),
    ("submitform", "generate_lead"),
    ("submit_form", "generate_lead"),
    ("submitapplication", "generate_lead"),
    ("submit_application", "generate_lead"),
    ("completeregistration", "sign_up"),
    ("complete_registration", "sign_up"),
    ("signup", "sign_up"),
    ("registration", "sign_up"),
    ("view_category", "view_item_list"),
    ("achievement_unlocked", "unlock_achievement"),
    ("app_install", "install"),
    ("refund_order", "refund"),
];

/// Turns `AddToCart`, `add-to-cart`, `ADD_TO_CART` and `add to cart` into `add_to_cart`.
pub fn snake_fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.trim().chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c == '-' || c == ' ' || c == '.' || c == '_' {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The ECAPI type a sender most likely meant by an unknown `event_type` value, and why.
pub fn suggest(name: &str) -> Option<(EventType, Suggestion)> {
    let folded = snake_fold(name);
    if let Some(t) = EventType::parse(&folded) {
        return Some((t, Suggestion::Spelling));
    }
    let squashed: String = folded.chars().filter(|c| *c != '_').collect();
    for (foreign, ecapi) in FOREIGN_EVENT_NAMES {
        if *foreign == folded || *foreign == squashed {
            return EventType::parse(ecapi).map(|t| (t, Suggestion::OtherPlatform));
        }
    }
    let names = EventType::all().map(EventType::name);
    crate::ecapi::suggest::closest(&folded, names)
        .and_then(EventType::parse)
        .map(|t| (t, Suggestion::Spelling))
}

/// How a suggestion was found, which changes how the hint is worded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suggestion {
    Spelling,
    OtherPlatform,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_type_once() {
        let mut names: Vec<_> = EventType::all().map(EventType::name).collect();
        assert_eq!(names.len(), 45);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 45);
        assert_eq!(EventType::CUSTOM.name(), "custom");
        assert_eq!(EventType::PURCHASE.name(), "purchase");
    }

    #[test]
    fn folds_other_spellings() {
        assert_eq!(snake_fold("AddToCart"), "add_to_cart");
        assert_eq!(snake_fold("ADD-TO-CART"), "add_to_cart");
        assert_eq!(snake_fold(" page view "), "page_view");
    }

    #[test]
    fn suggests_ecapi_names() {
        let s = |n| suggest(n).map(|(t, why)| (t.name(), why));
        assert_eq!(s("Purchase"), Some(("purchase", Suggestion::Spelling)));
        assert_eq!(
            s("ViewContent"),
            Some(("viewed_item", Suggestion::OtherPlatform))
        );
        assert_eq!(
            s("CompleteRegistration"),
            Some(("sign_up", Suggestion::OtherPlatform))
        );
        assert_eq!(
            s("add_to_card"),
            Some(("add_to_cart", Suggestion::Spelling))
        );
        assert_eq!(s("zzzzzz"), None);
    }
}
