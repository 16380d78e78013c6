//! The spec's objects as data: each member with the kind of value it holds and the rule that
//! checks it. The validator walks payloads against these tables, so a field added here is
//! type-checked, reported when misspelt and documented, all at once.

use crate::ecapi::normalize::HashField;

/// The objects of the ECAPI payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjId {
    Core,
    UserData,
    Uid,
    Address,
    Properties,
    Item,
}

pub struct ObjDef {
    pub id: ObjId,
    /// Where the object lives, for hints: `user_data`, `user_data.address[]`, …
    pub name: &'static str,
    pub fields: &'static [Field],
    /// Open-addressed table from a member name's slot to its index + 1 (0: empty), built at
    /// compile time: a name is found in about one comparison (`lookup`).
    index: [u8; KEY_SLOTS],
}

pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// The name's canonical hash (`engine::canon::key`), computed at compile time.
    pub key_hash: u64,
}

/// What a member holds. `*Array` kinds are the spec's "X, array" types.
#[derive(Clone, Copy)]
pub enum Kind {
    Str(StrRule),
    StrArray(StrRule),
    Int(IntRule),
    IntArray(IntRule),
    Float(FloatRule),
    Bool,
    /// A numbered enumeration: the 1-based number or the exact label.
    Labels(&'static [&'static str]),
    Obj(&'static ObjDef),
    ObjArray(&'static ObjDef),
    Ext,
}

impl Kind {
    /// "a string", "an array of strings", … for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Str(_) => "a string",
            Kind::StrArray(_) => "an array of strings",
            Kind::Int(_) => "an integer",
            Kind::IntArray(_) => "an array of integers",
            Kind::Float(_) => "a number",
            Kind::Bool => "true or false",
            Kind::Labels(_) => "an enumeration number or label",
            Kind::Obj(_) | Kind::Ext => "an object",
            Kind::ObjArray(_) => "an array of objects",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrRule {
    DataSetId,
    EventId,
    EventType,
    CustomEvent,
    Currency,
    Source,
    Hashed(HashField),
    Ip(IpField),
    UserAgent(IpField),
    Ifa,
    ClickId,
    ImpressionId,
    GppString,
    CountryCode,
    /// City and state: plain text the spec wants lower-case without punctuation.
    PlainAddress,
    UidSource,
    Date(DateField),
    Airport,
    Url,
    Vin,
    Text,
}

/// The event's own IP and user agent, or the landing page's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpField {
    Event,
    Landing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateField {
    Arrival,
    Departure,
    LeaseStart,
    LeaseEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntRule {
    Timestamp,
    UtcOffset,
    GppSid,
    Atype,
    Cattax,
    NonNegative,
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatRule {
    Value,
    Price,
    Discount,
    Quantity,
    Shipping,
    Tax,
}

/// Values of the `source` enumeration.
pub const SOURCES: &[&str] = &[
    "email",
    "website",
    "app",
    "phone_call",
    "chat",
    "physical_store",
    "system_generated",
    "business_messaging",
    "other",
];

pub const AGE_RANGES: &[&str] = &[
    "18-20", "21-24", "25-29", "30-34", "35-39", "40-44", "44-49", "50-54", "55-59", "60-64",
    "65-69", "70-74", "75+",
];
pub const ADDRESS_TYPES: &[&str] = &["billing", "shipping", "unknown"];
pub const AVAILABILITY: &[&str] = &[
    "available soon",
    "for rent",
    "for sale",
    "off market",
    "recently sold",
    "sale pending",
];
pub const BODY_STYLES: &[&str] = &[
    "convertible",
    "coupe",
    "hatchback",
    "minivan",
    "truck",
    "suv",
    "sedan",
    "van",
    "wagon",
    "crossover",
    "other",
];
pub const VEHICLE_CONDITIONS: &[&str] = &["new", "used"];
pub const DRIVETRAINS: &[&str] = &["4x2", "4x4", "awd", "fwd", "rwd", "other", "none"];
pub const FUEL_TYPES: &[&str] = &[
    "diesel",
    "electric",
    "flex",
    "gasoline",
    "hybrid",
    "petrol",
    "plugin_hybrid",
    "other",
    "none",
];
pub const LISTING_TYPES: &[&str] = &[
    "for rent by agent",
    "for rent by owner",
    "for sale by agent",
    "for sale by owner",
    "foreclosed",
    "new construction",
    "new listing",
];
pub const TRANSMISSIONS: &[&str] = &["automatic", "manual", "other", "none"];

/// Seed of member-name hashes; `engine::canon::key` uses the same.
pub const KEY_SEED: u64 = 0x4b45_5953;

const fn f(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        key_hash: xxhash_rust::const_xxh3::xxh3_64_with_seed(name.as_bytes(), KEY_SEED),
    }
}

use FloatRule as F;
use IntRule as I;
use Kind as K;
use StrRule as S;

pub static CORE: ObjDef = ObjDef::new(
    ObjId::Core,
    "the event",
    &[
        f("data_set_id", K::Str(S::DataSetId)),
        f("id", K::Str(S::EventId)),
        f("timestamp", K::Int(I::Timestamp)),
        f("event_type", K::Str(S::EventType)),
        f("custom_event", K::Str(S::CustomEvent)),
        f("user_data", K::Obj(&USER_DATA)),
        f("value", K::Float(F::Value)),
        f("currency_code", K::Str(S::Currency)),
        f("source", K::Str(S::Source)),
        f("properties", K::Obj(&PROPERTIES)),
        f("ext", K::Ext),
    ],
);

pub static USER_DATA: ObjDef = ObjDef::new(
    ObjId::UserData,
    "user_data",
    &[
        f(
            "customer_identifier",
            K::Str(S::Hashed(HashField::CustomerIdentifier)),
        ),
        f("uids", K::ObjArray(&UID)),
        f("customer_segments", K::StrArray(S::Text)),
        f("email_address", K::StrArray(S::Hashed(HashField::Email))),
        f("phone_numbers", K::StrArray(S::Hashed(HashField::Phone))),
        f("utcoffset", K::Int(I::UtcOffset)),
        f("address", K::ObjArray(&ADDRESS)),
        f("gpp_string", K::Str(S::GppString)),
        f("gpp_sid", K::IntArray(I::GppSid)),
        f("mmt_only", K::Bool),
        f("click_id", K::Str(S::ClickId)),
        f("impression_id", K::Str(S::ImpressionId)),
        f("event_ip_address", K::Str(S::Ip(IpField::Event))),
        f("event_user_agent", K::Str(S::UserAgent(IpField::Event))),
        f("ifa", K::Str(S::Ifa)),
        f("landing_ip_address", K::Str(S::Ip(IpField::Landing))),
        f("landing_user_agent", K::Str(S::UserAgent(IpField::Landing))),
        f("age_range", K::Labels(AGE_RANGES)),
        f("gender", K::Str(S::Hashed(HashField::Gender))),
        f("ext", K::Ext),
    ],
);

pub static UID: ObjDef = ObjDef::new(
    ObjId::Uid,
    "user_data.uids[]",
    &[
        f("id", K::Str(S::Hashed(HashField::UidId))),
        f("source", K::Str(S::UidSource)),
        f("atype", K::Int(I::Atype)),
        f("ext", K::Ext),
    ],
);

pub static ADDRESS: ObjDef = ObjDef::new(
    ObjId::Address,
    "user_data.address[]",
    &[
        f("first_name", K::Str(S::Hashed(HashField::FirstName))),
        f("last_name", K::Str(S::Hashed(HashField::LastName))),
        f("street", K::Str(S::Hashed(HashField::Street))),
        f("city", K::Str(S::PlainAddress)),
        f("state", K::Str(S::PlainAddress)),
        f("country_code", K::Str(S::CountryCode)),
        f("postal_code", K::Str(S::Hashed(HashField::PostalCode))),
        f("address_type", K::Labels(ADDRESS_TYPES)),
        f("ext", K::Ext),
    ],
);

pub static ITEM: ObjDef = ObjDef::new(
    ObjId::Item,
    "properties.items[]",
    &[
        f("id", K::Str(S::Text)),
        f("name", K::Str(S::Text)),
        f("price", K::Float(F::Price)),
        f("discount", K::Float(F::Discount)),
        f("quantity", K::Float(F::Quantity)),
        f("brand", K::Str(S::Text)),
        f("affiliation", K::Str(S::Text)),
        f("category", K::Str(S::Text)),
        f("cattax", K::Int(I::Cattax)),
        f("item_coupon", K::Str(S::Text)),
        f("item_list_id", K::Str(S::Text)),
        f("item_list_name", K::Str(S::Text)),
        f("item_item_variant", K::Str(S::Text)),
        f("item_location_id", K::Str(S::Text)),
        f("ext", K::Ext),
    ],
);

pub static PROPERTIES: ObjDef = ObjDef::new(
    ObjId::Properties,
    "properties",
    &[
        f("transaction_id", K::Str(S::Text)),
        f("items", K::ObjArray(&ITEM)),
        f("page_url", K::Str(S::Url)),
        f("ad_source", K::Str(S::Text)),
        f("referrer", K::Str(S::Text)),
        f("coupon", K::StrArray(S::Text)),
        f("shipping", K::Float(F::Shipping)),
        f("tax", K::Float(F::Tax)),
        f("payment_type", K::StrArray(S::Text)),
        f("shipping_tier", K::Str(S::Text)),
        f("virtual_currency_name", K::Str(S::Text)),
        f("virtual_item_name", K::Str(S::Text)),
        f("lead_source", K::Str(S::Text)),
        f("lead_status", K::Str(S::Text)),
        f("lead_reason", K::Str(S::Text)),
        f("ad_platform", K::Str(S::Text)),
        f("ad_format", K::Str(S::Text)),
        f("ad_unit_name", K::Str(S::Text)),
        f("login_method", K::Str(S::Text)),
        f("group_id", K::Str(S::Text)),
        f("character_level", K::Int(I::NonNegative)),
        f("character", K::Str(S::Text)),
        f("post_score", K::Int(I::Any)),
        f("achievement_id", K::Str(S::Text)),
        f("search_term", K::Str(S::Text)),
        f("creative_name", K::Str(S::Text)),
        f("creative_slot", K::Str(S::Text)),
        f("promotion_id", K::Str(S::Text)),
        f("promotion_name", K::Str(S::Text)),
        f("availability", K::Labels(AVAILABILITY)),
        f("body_style", K::Labels(BODY_STYLES)),
        f("condition_of_vehicle", K::Labels(VEHICLE_CONDITIONS)),
        f("arrival_date", K::Str(S::Date(DateField::Arrival))),
        f("departure_date", K::Str(S::Date(DateField::Departure))),
        f("destination_airport", K::Str(S::Airport)),
        f("destination_ids", K::Str(S::Text)),
        f("drivetrain", K::Labels(DRIVETRAINS)),
        f("exterior_color", K::Str(S::Text)),
        f("fuel_type", K::Labels(FUEL_TYPES)),
        f("lease_end_date", K::Str(S::Date(DateField::LeaseEnd))),
        f("lease_start_date", K::Str(S::Date(DateField::LeaseStart))),
        f("listing_type", K::Labels(LISTING_TYPES)),
        f("make", K::Str(S::Text)),
        f("model", K::Str(S::Text)),
        f("transmission", K::Labels(TRANSMISSIONS)),
        f("vin", K::Str(S::Vin)),
        f("ext", K::Ext),
    ],
);

/// Every object, for "this member belongs in X" hints.
pub static ALL_OBJECTS: [&ObjDef; 6] = [&CORE, &USER_DATA, &UID, &ADDRESS, &PROPERTIES, &ITEM];

/// Slots of an object's name table: a power of two, several times the largest object.
const KEY_SLOTS: usize = 256;

/// A member name's first slot: its length and three of its bytes, mixed.
#[inline]
const fn key_slot(name: &[u8]) -> usize {
    let n = name.len();
    let x = (n as u32)
        ^ ((name[0] as u32) << 8)
        ^ ((name[n - 1] as u32) << 16)
        ^ ((name[n / 2] as u32) << 24);
    (x.wrapping_mul(0x9E37_79B1) >> 24) as usize
}

/// Byte equality of short strings by 8-byte words (member names are short; `==` on slices is
/// a call to `memcmp`, a tenth of the key look-up's time).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

impl ObjDef {
    const fn new(id: ObjId, name: &'static str, fields: &'static [Field]) -> ObjDef {
        assert!(
            fields.len() < KEY_SLOTS / 2,
            "an object's name table would be too full"
        );
        let mut index = [0u8; KEY_SLOTS];
        let mut i = 0;
        while i < fields.len() {
            let mut slot = key_slot(fields[i].name.as_bytes());
            while index[slot] != 0 {
                slot = (slot + 1) % KEY_SLOTS;
            }
            index[slot] = (i + 1) as u8;
            i += 1;
        }
        ObjDef {
            id,
            name,
            fields,
            index,
        }
    }

    /// The index of a member, by exact name.
    #[inline]
    pub fn lookup(&self, name: &str) -> Option<usize> {
        let bytes = name.as_bytes();
        if bytes.is_empty() {
            return None;
        }
        let mut slot = key_slot(bytes);
        loop {
            let entry = self.index[slot];
            if entry == 0 {
                return None;
            }
            let i = usize::from(entry - 1);
            if same_bytes(self.fields[i].name.as_bytes(), bytes) {
                return Some(i);
            }
            slot = (slot + 1) % KEY_SLOTS;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_fit_the_seen_bitmask() {
        for def in ALL_OBJECTS {
            assert!(def.fields.len() <= 64, "{}", def.name);
            assert_eq!(
                def.fields.last().map(|fd| fd.name),
                Some("ext"),
                "{}",
                def.name
            );
        }
    }

    #[test]
    fn compile_time_key_hashes_match_the_runtime_ones() {
        for def in ALL_OBJECTS {
            for fd in def.fields {
                assert_eq!(
                    fd.key_hash,
                    crate::engine::canon::key(fd.name),
                    "{}",
                    fd.name
                );
            }
        }
    }

    #[test]
    fn member_names_are_unique_per_object() {
        for def in ALL_OBJECTS {
            for (i, fd) in def.fields.iter().enumerate() {
                assert_eq!(def.lookup(fd.name), Some(i), "{}.{}", def.name, fd.name);
            }
        }
    }

    #[test]
    fn the_name_table_finds_exactly_what_a_scan_finds() {
        let mut names: Vec<String> = vec![String::new(), "x".into(), "events".into()];
        for def in ALL_OBJECTS {
            for fd in def.fields {
                let n = fd.name;
                names.extend([
                    n.to_owned(),
                    n.to_uppercase(),
                    format!("{n}s"),
                    format!("_{n}"),
                    n[..n.len() - 1].to_owned(),
                    n[1..].to_owned(),
                    n.replace('_', ""),
                    format!("{n}\0"),
                ]);
            }
        }
        for def in ALL_OBJECTS {
            for name in &names {
                let scan = def.fields.iter().position(|fd| fd.name == name.as_str());
                assert_eq!(def.lookup(name), scan, "{}: {name:?}", def.name);
            }
        }
    }
}
