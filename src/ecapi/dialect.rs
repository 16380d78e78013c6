//! Members of other platforms' conversion APIs, and what unknown members most likely meant.
//! Integrations are often ported from another platform's payload; naming the ECAPI field to
//! use instead turns a puzzling "unknown field" into a one-line fix.

use crate::ecapi::schema::{ObjDef, ObjId, ALL_OBJECTS};
use crate::ecapi::suggest;

/// (object it appears in, foreign member, whose it is, the ECAPI member to send instead).
const FOREIGN: &[(ObjId, &str, &str, &str)] = &[
    (ObjId::Core, "event_name", "Meta/Pinterest", "event_type"),
    (ObjId::Core, "event", "TikTok", "event_type"),
    (
        ObjId::Core,
        "event_time",
        "Meta/Pinterest/TikTok",
        "timestamp",
    ),
    (ObjId::Core, "event_id", "Meta/Pinterest/TikTok", "id"),
    (ObjId::Core, "action_source", "Meta/Pinterest", "source"),
    (
        ObjId::Core,
        "event_source_url",
        "Meta",
        "properties.page_url",
    ),
    (ObjId::Core, "custom_data", "Meta/Pinterest", "properties"),
    (ObjId::Core, "currency", "Meta/TikTok", "currency_code"),
    (ObjId::Core, "conversion_value", "Google Ads", "value"),
    (
        ObjId::Core,
        "conversion_date_time",
        "Google Ads",
        "timestamp",
    ),
    (ObjId::Core, "conversion_action", "Google Ads", "event_type"),
    (
        ObjId::Core,
        "order_id",
        "Google Ads",
        "properties.transaction_id",
    ),
    (ObjId::Core, "gclid", "Google Ads", "user_data.click_id"),
    (ObjId::Core, "user_identifiers", "Google Ads", "user_data"),
    (ObjId::Core, "event_conversion_type", "Snap", "source"),
    (
        ObjId::Core,
        "client_id",
        "GA4",
        "user_data.customer_identifier",
    ),
    (ObjId::Core, "user", "TikTok", "user_data"),
    (ObjId::Core, "page", "TikTok", "properties.page_url"),
    (ObjId::Core, "pixel_code", "TikTok", "data_set_id"),
    (ObjId::Core, "event_source_id", "TikTok", "data_set_id"),
    (
        ObjId::Core,
        "action_source_url",
        "Pinterest",
        "properties.page_url",
    ),
    (ObjId::UserData, "em", "Meta/Pinterest", "email_address"),
    (ObjId::UserData, "email", "TikTok", "email_address"),
    (
        ObjId::UserData,
        "hashed_email",
        "Google/Snap",
        "email_address",
    ),
    (ObjId::UserData, "ph", "Meta/Pinterest", "phone_numbers"),
    (ObjId::UserData, "phone", "TikTok", "phone_numbers"),
    (ObjId::UserData, "phone_number", "TikTok", "phone_numbers"),
    (
        ObjId::UserData,
        "hashed_phone_number",
        "Google/Snap",
        "phone_numbers",
    ),
    (
        ObjId::UserData,
        "external_id",
        "Meta/Pinterest/TikTok",
        "customer_identifier",
    ),
    (
        ObjId::UserData,
        "client_ip_address",
        "Meta/Pinterest",
        "event_ip_address",
    ),
    (
        ObjId::UserData,
        "client_user_agent",
        "Meta/Pinterest",
        "event_user_agent",
    ),
    (ObjId::UserData, "ip", "TikTok", "event_ip_address"),
    (ObjId::UserData, "user_agent", "TikTok", "event_user_agent"),
    (ObjId::UserData, "fbc", "Meta", "click_id"),
    (ObjId::UserData, "ttclid", "TikTok", "click_id"),
    (ObjId::UserData, "madid", "Meta", "ifa"),
    (ObjId::UserData, "idfa", "Apple", "ifa"),
    (ObjId::UserData, "gaid", "Android", "ifa"),
    (
        ObjId::UserData,
        "fn",
        "Meta/Pinterest",
        "address[].first_name",
    ),
    (
        ObjId::UserData,
        "ln",
        "Meta/Pinterest",
        "address[].last_name",
    ),
    (ObjId::UserData, "ct", "Meta/Pinterest", "address[].city"),
    (ObjId::UserData, "st", "Meta/Pinterest", "address[].state"),
    (
        ObjId::UserData,
        "zp",
        "Meta/Pinterest",
        "address[].postal_code",
    ),
    (
        ObjId::UserData,
        "country",
        "Meta/Pinterest",
        "address[].country_code",
    ),
    (ObjId::UserData, "ge", "Meta/Pinterest", "gender"),
    (ObjId::UserData, "db", "Meta/Pinterest", "age_range"),
    (
        ObjId::Properties,
        "content_ids",
        "Meta/Pinterest",
        "items[].id",
    ),
    (ObjId::Properties, "contents", "Meta/TikTok", "items"),
    (
        ObjId::Properties,
        "order_id",
        "Meta/Pinterest",
        "transaction_id",
    ),
    (
        ObjId::Properties,
        "num_items",
        "Meta/Pinterest",
        "items[].quantity",
    ),
    (
        ObjId::Properties,
        "value",
        "Meta/TikTok",
        "value (top level)",
    ),
    (
        ObjId::Properties,
        "currency",
        "Meta/TikTok",
        "currency_code (top level)",
    ),
    (ObjId::Properties, "search_string", "Meta", "search_term"),
    (ObjId::Properties, "query", "TikTok", "search_term"),
    (ObjId::Item, "item_id", "GA4", "id"),
    (ObjId::Item, "item_name", "GA4", "name"),
    (ObjId::Item, "item_brand", "GA4", "brand"),
    (ObjId::Item, "item_category", "GA4", "category"),
    (ObjId::Item, "content_id", "TikTok", "id"),
    (ObjId::Item, "item_price", "Meta", "price"),
];

/// What an unknown member most likely is.
#[derive(Debug, PartialEq, Eq)]
pub enum Diagnosis {
    /// Another platform's name for an ECAPI member.
    Foreign {
        platform: &'static str,
        instead: &'static str,
    },
    /// A member the spec defines in another object.
    Misplaced {
        belongs_in: &'static str,
    },
    /// A misspelling (or other case/separator style) of a member of this object.
    Misspelt {
        meant: &'static str,
    },
    Unknown,
}

/// Diagnoses the unknown member `name` of object `def`.
pub fn diagnose(def: &ObjDef, name: &str) -> Diagnosis {
    if let Some((_, _, platform, instead)) = FOREIGN
        .iter()
        .find(|(obj, foreign, _, _)| *obj == def.id && *foreign == name)
    {
        return Diagnosis::Foreign { platform, instead };
    }
    let folded = crate::ecapi::event_type::snake_fold(name);
    if let Some(i) = def.lookup(&folded) {
        return Diagnosis::Misspelt {
            meant: def.fields[i].name,
        };
    }
    if let Some(other) = ALL_OBJECTS
        .iter()
        .find(|o| o.id != def.id && o.id != ObjId::Core && o.lookup(&folded).is_some())
        .filter(|_| folded != "id" && folded != "source" && folded != "ext")
    {
        return Diagnosis::Misplaced {
            belongs_in: other.name,
        };
    }
    if def.id != ObjId::Core && CoreMember::is_core(&folded) {
        return Diagnosis::Misplaced {
            belongs_in: "the event (top level)",
        };
    }
    match suggest::closest(&folded, def.fields.iter().map(|fd| fd.name)) {
        Some(meant) => Diagnosis::Misspelt { meant },
        None => Diagnosis::Unknown,
    }
}

struct CoreMember;

impl CoreMember {
    fn is_core(name: &str) -> bool {
        matches!(
            name,
            "data_set_id" | "timestamp" | "event_type" | "custom_event" | "currency_code"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecapi::schema::{CORE, PROPERTIES, USER_DATA};

    #[test]
    fn foreign_names() {
        assert_eq!(
            diagnose(&CORE, "event_name"),
            Diagnosis::Foreign {
                platform: "Meta/Pinterest",
                instead: "event_type"
            }
        );
        assert!(matches!(
            diagnose(&USER_DATA, "em"),
            Diagnosis::Foreign {
                instead: "email_address",
                ..
            }
        ));
    }

    #[test]
    fn misplaced_members() {
        assert_eq!(
            diagnose(&CORE, "email_address"),
            Diagnosis::Misplaced {
                belongs_in: "user_data"
            }
        );
        assert_eq!(
            diagnose(&CORE, "items"),
            Diagnosis::Misplaced {
                belongs_in: "properties"
            }
        );
        assert_eq!(
            diagnose(&PROPERTIES, "currency_code"),
            Diagnosis::Misplaced {
                belongs_in: "the event (top level)"
            }
        );
    }

    #[test]
    fn misspellings_and_other_styles() {
        assert_eq!(
            diagnose(&CORE, "dataSetId"),
            Diagnosis::Misspelt {
                meant: "data_set_id"
            }
        );
        assert_eq!(
            diagnose(&CORE, "curency_code"),
            Diagnosis::Misspelt {
                meant: "currency_code"
            }
        );
        assert_eq!(
            diagnose(&CORE, "user_dta"),
            Diagnosis::Misspelt { meant: "user_data" }
        );
        assert_eq!(diagnose(&CORE, "favourite_colour"), Diagnosis::Unknown);
    }
}
