//! Code lists the spec points to: ISO 4217 currencies and ISO 3166-1 alpha-2 countries.
//!
//! Kept as sorted arrays so a look-up is a binary search on the hot path, without allocation.

/// ISO 4217 alphabetic codes in use (funds and metals included; XTS and XXX, reserved for
/// testing and "no currency", are left out on purpose).
const CURRENCIES: [&str; 180] = [
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// ISO 3166-1 alpha-2 codes, officially assigned.
const COUNTRIES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Common alpha-3 codes and the alpha-2 code to send instead.
const ALPHA3: &[(&str, &str)] = &[
    ("aus", "au"),
    ("bra", "br"),
    ("can", "ca"),
    ("che", "ch"),
    ("chn", "cn"),
    ("deu", "de"),
    ("esp", "es"),
    ("fra", "fr"),
    ("gbr", "gb"),
    ("ind", "in"),
    ("irl", "ie"),
    ("ita", "it"),
    ("jpn", "jp"),
    ("kor", "kr"),
    ("mex", "mx"),
    ("nld", "nl"),
    ("pol", "pl"),
    ("swe", "se"),
    ("usa", "us"),
    ("zaf", "za"),
];

/// Bit `n` set for every code of `CURRENCIES`, with `n` the code read as three base-26 digits:
/// a look-up is one load, built at compile time.
static CURRENCY_BITS: [u64; 275] = currency_bits();

const fn currency_index(code: &[u8]) -> Option<usize> {
    if code.len() != 3 {
        return None;
    }
    let (a, b, c) = (code[0], code[1], code[2]);
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() || !c.is_ascii_uppercase() {
        return None;
    }
    Some(((a - b'A') as usize * 26 + (b - b'A') as usize) * 26 + (c - b'A') as usize)
}

const fn currency_bits() -> [u64; 275] {
    let mut bits = [0u64; 275];
    let mut i = 0;
    while i < CURRENCIES.len() {
        let Some(n) = currency_index(CURRENCIES[i].as_bytes()) else {
            panic!("a currency code that is not three upper-case letters");
        };
        bits[n / 64] |= 1 << (n % 64);
        i += 1;
    }
    bits
}

/// Whether `code` is an ISO 4217 code, exactly (upper-case).
pub fn is_currency(code: &str) -> bool {
    currency_index(code.as_bytes()).is_some_and(|n| CURRENCY_BITS[n / 64] & (1 << (n % 64)) != 0)
}

/// Whether `code` is an ISO 3166-1 alpha-2 code, in either case.
pub fn is_country(code: &str) -> bool {
    if code.len() != 2 || !code.is_ascii() {
        return false;
    }
    let upper = [
        code.as_bytes()[0].to_ascii_uppercase(),
        code.as_bytes()[1].to_ascii_uppercase(),
    ];
    std::str::from_utf8(&upper).is_ok_and(|c| COUNTRIES.binary_search(&c).is_ok())
}

/// The alpha-2 code a sender most likely meant: `uk` → `gb`, `USA` → `us`.
pub fn country_hint(code: &str) -> Option<&'static str> {
    let lower = code.trim().to_ascii_lowercase();
    if lower == "uk" {
        return Some("gb");
    }
    ALPHA3
        .iter()
        .find(|(a3, _)| *a3 == lower)
        .map(|(_, a2)| *a2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(CURRENCIES.windows(2).all(|w| w[0] < w[1]));
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn currencies() {
        assert!(is_currency("USD"));
        assert!(is_currency("EUR"));
        assert!(!is_currency("usd"));
        assert!(!is_currency("XXX"));
        assert!(!is_currency("DOLLAR"));
    }

    #[test]
    fn the_currency_bitmap_holds_exactly_the_list() {
        let letters = b'A'..=b'Z';
        let mut codes: Vec<String> = Vec::new();
        for a in letters.clone() {
            for b in letters.clone() {
                for c in letters.clone() {
                    codes.push(String::from_utf8(vec![a, b, c]).unwrap_or_default());
                }
            }
        }
        codes.extend(
            [
                "", "US", "USDD", "uSD", "US\u{0}", "ÜSD", "@AA", "[AA", "ZZ[",
            ]
            .map(String::from),
        );
        for code in &codes {
            let listed = CURRENCIES.binary_search(&code.as_str()).is_ok();
            assert_eq!(is_currency(code), listed, "{code:?}");
        }
    }

    #[test]
    fn countries() {
        assert!(is_country("us"));
        assert!(is_country("GB"));
        assert!(!is_country("uk"));
        assert!(!is_country("usa"));
        assert_eq!(country_hint("UK"), Some("gb"));
        assert_eq!(country_hint("USA"), Some("us"));
    }
}
