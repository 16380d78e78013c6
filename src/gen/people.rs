//! Static vocabulary for synthetic people: countries with their cities, phone plans, time zones
//! and currencies; names; devices; identity providers and consent strings.

/// How a country writes postal codes, so that raw values look real before they are hashed.
#[derive(Clone, Copy)]
pub enum Postal {
    Digits(usize),
    Uk,
    Canada,
    Netherlands,
    Japan,
    Brazil,
}

/// A country the synthetic users live in.
pub struct Country {
    /// ISO 3166-1 alpha-2, lower case as `address.country_code` wants it.
    pub code: &'static str,
    pub weight: u32,
    /// Index into `catalog::CURRENCIES`.
    pub currency: usize,
    /// Calling code and the leading digits of a mobile number, then how many digits follow.
    pub phone: (&'static str, &'static [&'static str], usize),
    /// Minutes from UTC, standard and summer time.
    pub utc_offsets: &'static [i32],
    /// (city, state) pairs, lower-case letters and single spaces only.
    pub places: &'static [(&'static str, &'static str)],
    pub postal: Postal,
}

#[rustfmt::skip]
pub const COUNTRIES: [Country; 12] = [
    Country { code: "us", weight: 40, currency: 0, phone: ("+1", &["212", "310", "312", "415", "512", "617", "206", "305"], 7),
        utc_offsets: &[-240, -300, -360, -420, -480],
        places: &[("new york", "new york"), ("los angeles", "california"), ("chicago", "illinois"), ("austin", "texas"),
                  ("seattle", "washington"), ("miami", "florida"), ("denver", "colorado"), ("boston", "massachusetts")],
        postal: Postal::Digits(5) },
    Country { code: "gb", weight: 10, currency: 2, phone: ("+44", &["77", "78", "79"], 8), utc_offsets: &[0, 60],
        places: &[("london", "england"), ("manchester", "england"), ("edinburgh", "scotland"), ("cardiff", "wales")],
        postal: Postal::Uk },
    Country { code: "de", weight: 8, currency: 1, phone: ("+49", &["151", "160", "170", "176"], 8), utc_offsets: &[60, 120],
        places: &[("berlin", "berlin"), ("munich", "bavaria"), ("hamburg", "hamburg"), ("cologne", "north rhine westphalia")],
        postal: Postal::Digits(5) },
    Country { code: "fr", weight: 6, currency: 1, phone: ("+33", &["6", "7"], 8), utc_offsets: &[60, 120],
        places: &[("paris", "ile de france"), ("lyon", "auvergne rhone alpes"), ("toulouse", "occitanie")],
        postal: Postal::Digits(5) },
    Country { code: "ca", weight: 6, currency: 4, phone: ("+1", &["416", "604", "514"], 7), utc_offsets: &[-240, -300, -420, -480],
        places: &[("toronto", "ontario"), ("vancouver", "british columbia"), ("montreal", "quebec")],
        postal: Postal::Canada },
    Country { code: "jp", weight: 5, currency: 3, phone: ("+81", &["90", "80", "70"], 8), utc_offsets: &[540],
        places: &[("tokyo", "tokyo"), ("osaka", "osaka"), ("yokohama", "kanagawa")],
        postal: Postal::Japan },
    Country { code: "br", weight: 5, currency: 6, phone: ("+55", &["119", "219", "319"], 8), utc_offsets: &[-180],
        places: &[("sao paulo", "sao paulo"), ("rio de janeiro", "rio de janeiro"), ("belo horizonte", "minas gerais")],
        postal: Postal::Brazil },
    Country { code: "in", weight: 5, currency: 7, phone: ("+91", &["98", "97", "88", "70"], 8), utc_offsets: &[330],
        places: &[("mumbai", "maharashtra"), ("bengaluru", "karnataka"), ("new delhi", "delhi")],
        postal: Postal::Digits(6) },
    Country { code: "au", weight: 5, currency: 5, phone: ("+61", &["4"], 8), utc_offsets: &[600, 660, 570, 480],
        places: &[("sydney", "new south wales"), ("melbourne", "victoria"), ("brisbane", "queensland"), ("perth", "western australia")],
        postal: Postal::Digits(4) },
    Country { code: "es", weight: 4, currency: 1, phone: ("+34", &["6"], 8), utc_offsets: &[60, 120],
        places: &[("madrid", "madrid"), ("barcelona", "catalonia"), ("valencia", "valencia")],
        postal: Postal::Digits(5) },
    Country { code: "it", weight: 3, currency: 1, phone: ("+39", &["33", "34", "32"], 8), utc_offsets: &[60, 120],
        places: &[("rome", "lazio"), ("milan", "lombardy"), ("turin", "piedmont")],
        postal: Postal::Digits(5) },
    Country { code: "nl", weight: 3, currency: 1, phone: ("+31", &["6"], 8), utc_offsets: &[60, 120],
        places: &[("amsterdam", "north holland"), ("rotterdam", "south holland"), ("utrecht", "utrecht")],
        postal: Postal::Netherlands },
];

pub const UK_OUTWARD: [&str; 8] = ["SW1A", "EC1A", "M1", "B33", "LS1", "G2", "CF10", "EH1"];

#[rustfmt::skip]
pub const FIRST_NAMES: [&str; 32] = [
    "Jane", "John", "Maria", "Liam", "Olivia", "Noah", "Emma", "Lucas", "Sofia", "Mateo", "Hannah",
    "Yuki", "Aarav", "Priya", "Chloe", "Ethan", "Amelie", "Jonas", "Lea", "Giulia", "Pablo",
    "Isabela", "Rafael", "Sven", "Anna", "Mohammed", "Fatima", "Wei", "Mei", "Daniel", "Zoe", "Kenji",
];

#[rustfmt::skip]
pub const LAST_NAMES: [&str; 32] = [
    "Doe", "Smith", "Garcia", "Mueller", "Martin", "Rossi", "Tanaka", "Sato", "Patel", "Sharma",
    "Silva", "Santos", "O'Brien", "Nguyen", "Kim", "Johnson", "Brown", "Dubois", "Schmidt", "Lopez",
    "Van der Berg", "Jensen", "Kowalski", "Novak", "Wilson", "Taylor", "Lee", "Chen", "Singh", "Costa",
    "Moreau", "Fischer",
];

pub const EMAIL_DOMAINS: [&str; 8] = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
    "gmx.de",
    "orange.fr",
];

#[rustfmt::skip]
pub const STREETS: [&str; 12] = [
    "Main Street", "Oak Avenue", "Maple Drive", "High Street", "Station Road", "Elm Street",
    "Park Avenue", "Church Lane", "Hauptstrasse", "Rue de la Paix", "Calle Mayor", "Via Roma",
];

pub const CUSTOMER_SEGMENTS: [&str; 5] = [
    "Gold Member",
    "High Spender",
    "Frequent Shopper",
    "New Customer",
    "Lapsed Buyer",
];

/// Browser user agents, most common platforms first.
#[rustfmt::skip]
pub const WEB_USER_AGENTS: [&str; 8] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
];

/// App user agents (native HTTP clients of a shopping or game app).
#[rustfmt::skip]
pub const APP_USER_AGENTS: [&str; 3] = [
    "NorthwindShop/5.12.0 (iPhone; iOS 17.4.1; Scale/3.00)",
    "NorthwindShop/5.11.2 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)",
    "TailspinQuest/2.3.7 CFNetwork/1494.0.7 Darwin/23.4.0",
];

/// `uids` providers: canonical domain and `AdCOM` agent type (1 browser/device, 2 in-app device,
/// 3 person-based).
pub const UID_SOURCES: [(&str, u8); 7] = [
    ("liveramp.com", 3),
    ("uidapi.com", 3),
    ("id5-sync.com", 1),
    ("pubcid.org", 1),
    ("criteo.com", 1),
    ("adserver.org", 1),
    ("tapad.com", 2),
];

/// GPP consent strings with the sections they apply (never the header 3 or signal integrity 4).
#[rustfmt::skip]
pub const GPP: [(&str, &[i64]); 5] = [
    ("DBABMA~CQBmGgAQBmGgAAHABBENA2EgAP_gAAAAAAYgJ7NV_G__bWlr8X73aftkeY1P9_h77sQxBhfJE-4FzLvW_JwXx2ExNA36tqIKmRIAu3bBIQNlGJDUTVCgaogVryDMaE2coTNKJ6BkiFMRM2dYCF5vm4tj-QKY5vr991dx2B-t7dr83dzyy4xHn3a5_2S0WJCdA5-tDfv9bROb-9IOd_x8v4v8_F_rE2_eT1l_tevp7D9-cts7_XW-9_fff79Ll_-mBwUcALMNCogDLIkJCDQMIIEAKgrCAigQAAAAkDRAQAmDAp2BgEusJEAIAUAAwQAgABRkACAAASABCIAIACgQAAQCBQAAgAACAQAAgAAAAAAAAAAACAAAAAAgAgQAAAAAABQIAAACAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAA", &[2]),
    ("DBABLA~BVQqAAAAAgA.QA", &[7]),
    ("DBABBg~BUoAAAJY.QA", &[8]),
    ("DBABTA~1YNN", &[6]),
    ("DBACNY~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN", &[2, 6]),
];

/// First octets of large public IPv4 allocations, none inside a special-purpose range (so any
/// three octets after them are public).
#[rustfmt::skip]
pub const IPV4_FIRST_OCTETS: [u8; 32] = [
    24, 31, 37, 46, 50, 62, 66, 68, 71, 73, 76, 78, 81, 82, 86, 88,
    90, 93, 98, 99, 104, 108, 109, 151, 154, 173, 174, 176, 178, 185, 187, 201,
];

/// Leading hextets of real global unicast IPv6 allocations (`2000::/3`, outside `2001:db8::/32`).
#[rustfmt::skip]
pub const IPV6_PREFIXES: [u16; 10] = [
    0x2a00, 0x2a01, 0x2a02, 0x2600, 0x2603, 0x2607, 0x2804, 0x2405, 0x2409, 0x2c0f,
];
