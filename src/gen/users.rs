//! A pool of synthetic users with their identifiers hashed once, up front.
//!
//! Real traffic comes from returning people, and hashing fresh strings for every event would
//! dominate generation time, so each generator builds a few thousand users from its seed and
//! every event borrows one of them (shared `Arc<str>` hashes, no per-event SHA-256).

use std::net::Ipv6Addr;
use std::sync::Arc;

use fastrand::Rng;

use super::json::{Json, Obj, Text};
use super::people::{
    Country, Postal, APP_USER_AGENTS, COUNTRIES, CUSTOMER_SEGMENTS, EMAIL_DOMAINS, FIRST_NAMES,
    GPP, IPV4_FIRST_OCTETS, IPV6_PREFIXES, LAST_NAMES, STREETS, UID_SOURCES, UK_OUTWARD,
    WEB_USER_AGENTS,
};
use super::pick;
use crate::ecapi::normalize::{hash_field, HashField};

/// How many users a generator draws events from.
pub const POOL_SIZE: usize = 4096;

/// One synthetic person, with everything an event may say about them already prepared.
pub struct User {
    pub country: usize,
    /// The address as the person typed it, for the "forgot to hash" fault.
    pub raw_email: Arc<str>,
    pub emails: Vec<Arc<str>>,
    pub phone: Option<Arc<str>>,
    pub customer_id: Option<Arc<str>>,
    pub gender: Option<Arc<str>>,
    pub age_range: Option<i64>,
    pub segment: Option<&'static str>,
    pub uids: Vec<Json>,
    pub addresses: Vec<Json>,
    pub ifa: Option<Arc<str>>,
    pub ip: Arc<str>,
    pub web_ua: &'static str,
    pub app_ua: &'static str,
    pub utcoffset: i32,
    pub gpp: Option<usize>,
}

impl User {
    pub fn country(&self) -> &'static Country {
        &COUNTRIES[self.country]
    }

    /// A hash that identifies this user, for faults that need one even when the event has none.
    pub fn any_hash(&self) -> Arc<str> {
        self.emails
            .first()
            .or(self.customer_id.as_ref())
            .map_or_else(|| Arc::from(""), Arc::clone)
    }
}

/// The users of one generator.
pub struct Pool {
    users: Vec<User>,
}

impl Pool {
    pub fn new(seed: u64) -> Pool {
        let mut rng = Rng::with_seed(seed ^ 0x5eed_f00d_0000_0001);
        let weights: Vec<u32> = COUNTRIES.iter().map(|c| c.weight).collect();
        let users = (0..POOL_SIZE)
            .map(|_| {
                let country = pick::weighted(&mut rng, &weights);
                make_user(&mut rng, country)
            })
            .collect();
        Pool { users }
    }

    /// Picks a user; low indices are the loyal regulars who produce most of the traffic.
    pub fn pick(&self, rng: &mut Rng) -> usize {
        let x = rng.f64();
        ((x * x) * self.users.len() as f64) as usize
    }

    pub fn get(&self, index: usize) -> &User {
        &self.users[index.min(self.users.len() - 1)]
    }
}

fn make_user(rng: &mut Rng, country: usize) -> User {
    let c = &COUNTRIES[country];
    let first = pick::one(rng, &FIRST_NAMES);
    let last = pick::one(rng, &LAST_NAMES);
    let raw_email = email_address(rng, first, last);
    let mut emails = Vec::new();
    if rng.f64() < 0.92 {
        emails.push(shared(&hash_field(HashField::Email, &raw_email)));
        if rng.f64() < 0.1 {
            let second = email_address(rng, first, last);
            emails.push(shared(&hash_field(HashField::Email, &second)));
        }
    }
    let customer_id = (emails.is_empty() || rng.f64() < 0.55).then(|| {
        let raw = format!("CRM-{:08}", rng.u32(1..100_000_000));
        shared(&hash_field(HashField::CustomerIdentifier, &raw))
    });
    let app = rng.f64() < 0.3;
    User {
        country,
        raw_email: Arc::from(raw_email.as_str()),
        emails,
        phone: (rng.f64() < 0.6).then(|| shared(&hash_field(HashField::Phone, &phone(rng, c)))),
        customer_id,
        gender: (rng.f64() < 0.5).then(|| {
            let g = if rng.bool() { "female" } else { "male" };
            shared(&hash_field(HashField::Gender, g))
        }),
        age_range: (rng.f64() < 0.4).then(|| rng.i64(1..=13)),
        segment: (rng.f64() < 0.3).then(|| pick::one(rng, &CUSTOMER_SEGMENTS)),
        uids: uids(rng, app),
        addresses: addresses(rng, c, first, last),
        ifa: app.then(|| shared(&uuid_v4(rng))),
        ip: shared(&if rng.f64() < 0.8 {
            ipv4(rng)
        } else {
            ipv6(rng)
        }),
        web_ua: pick::one(rng, &WEB_USER_AGENTS),
        app_ua: pick::one(rng, &APP_USER_AGENTS),
        utcoffset: pick::one(rng, c.utc_offsets),
        gpp: (rng.f64() < 0.5).then(|| rng.usize(..GPP.len())),
    }
}

/// A hash as a shared JSON string, so copying it into events does not allocate.
fn hashed(field: HashField, raw: &str) -> Json {
    Json::Str(Text::Shared(shared(&hash_field(field, raw))))
}

fn shared(s: &str) -> Arc<str> {
    Arc::from(s)
}

fn email_address(rng: &mut Rng, first: &str, last: &str) -> String {
    let last: String = last.chars().filter(char::is_ascii_alphabetic).collect();
    let domain = pick::one(rng, &EMAIL_DOMAINS);
    match rng.u8(0..4) {
        0 => format!("{first}.{last}@{domain}"),
        1 => format!("{first}{last}{}@{domain}", rng.u8(1..99)),
        2 => format!("{}.{last}@{domain}", &first[..1]),
        _ => format!("{first}_{last}{}@{domain}", rng.u16(1960..2006)),
    }
}

fn phone(rng: &mut Rng, c: &Country) -> String {
    let (code, prefixes, digits) = c.phone;
    let mut out = format!("{code} {} ", pick::one(rng, prefixes));
    for _ in 0..digits {
        out.push(rng.digit(10));
    }
    out
}

fn uids(rng: &mut Rng, app: bool) -> Vec<Json> {
    let n = match rng.u8(0..10) {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    };
    let mut out = Vec::with_capacity(n);
    let first = rng.usize(..UID_SOURCES.len());
    for k in 0..n {
        let (source, atype) = UID_SOURCES[(first + k * 3) % UID_SOURCES.len()];
        let atype = if app && atype == 1 { 2 } else { atype };
        let token: String = (0..24).map(|_| rng.alphanumeric()).collect();
        let mut o = Obj::with_capacity(3);
        o.push("id", hashed(HashField::UidId, &token));
        o.push("source", Json::lit(source));
        o.push("atype", Json::Int(i64::from(atype)));
        out.push(Json::Obj(o));
    }
    out
}

fn addresses(rng: &mut Rng, c: &Country, first: &str, last: &str) -> Vec<Json> {
    let n = match rng.u8(0..10) {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    };
    let labels = rng.f64() < 0.3;
    (0..n)
        .map(|k| {
            let (city, state) = pick::one(rng, c.places);
            let street = format!("{} {}", rng.u16(1..2400), pick::one(rng, &STREETS));
            let kind: i64 = match (n, k) {
                (1, _) => pick::one(rng, &[1, 2, 3]),
                (_, 0) => 1,
                _ => 2,
            };
            let mut o = Obj::with_capacity(8);
            o.push("first_name", hashed(HashField::FirstName, first));
            o.push("last_name", hashed(HashField::LastName, last));
            o.push("street", hashed(HashField::Street, &street));
            o.push("city", Json::lit(city));
            o.push("state", Json::lit(state));
            o.push("country_code", Json::lit(c.code));
            o.push(
                "postal_code",
                hashed(HashField::PostalCode, &postal(rng, c)),
            );
            let kind = if labels {
                Json::lit(["billing", "shipping", "unknown"][(kind - 1) as usize])
            } else {
                Json::Int(kind)
            };
            o.push("address_type", kind);
            Json::Obj(o)
        })
        .collect()
}

fn postal(rng: &mut Rng, c: &Country) -> String {
    match c.postal {
        Postal::Digits(n) => digits(rng, n),
        Postal::Japan => format!("{}-{}", digits(rng, 3), digits(rng, 4)),
        Postal::Brazil => format!("{}-{}", digits(rng, 5), digits(rng, 3)),
        Postal::Netherlands => {
            let d = digits(rng, 4);
            format!("{d} {}{}", rng.uppercase(), rng.uppercase())
        }
        Postal::Canada => {
            let (a, d1, b) = (rng.uppercase(), rng.digit(10), rng.uppercase());
            let (d2, x, d3) = (rng.digit(10), rng.uppercase(), rng.digit(10));
            format!("{a}{d1}{b} {d2}{x}{d3}")
        }
        Postal::Uk => {
            let outward = pick::one(rng, &UK_OUTWARD);
            format!(
                "{outward} {}{}{}",
                rng.digit(10),
                rng.uppercase(),
                rng.uppercase()
            )
        }
    }
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| rng.digit(10)).collect()
}

/// A random public IPv4 address.
pub fn ipv4(rng: &mut Rng) -> String {
    let a = pick::one(rng, &IPV4_FIRST_OCTETS);
    format!("{a}.{}.{}.{}", rng.u8(..), rng.u8(..), rng.u8(1..255))
}

/// A random global unicast IPv6 address from a real allocation.
pub fn ipv6(rng: &mut Rng) -> String {
    let mut h = [0_u16; 8];
    h[0] = pick::one(rng, &IPV6_PREFIXES);
    for x in &mut h[1..] {
        *x = rng.u16(1..);
    }
    Ipv6Addr::new(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]).to_string()
}

/// A random version-4 UUID in lower case (an advertising identifier is never all zeros).
pub fn uuid_v4(rng: &mut Rng) -> String {
    let mut hex = pick::hex(rng, 32).into_bytes();
    hex[12] = b'4';
    hex[16] = b"89ab"[rng.usize(..4)];
    let s = String::from_utf8_lossy(&hex).into_owned();
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..]
    )
}
