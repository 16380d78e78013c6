//! The spec's normalization rules for hashed fields, and SHA-256 over the normalized form.
//!
//! The spec (API Conventions → Normalization) asks for lower-case text, trimmed, without
//! irrelevant formatting or punctuation; phone numbers keep a `+` and the country code. Each
//! hashed field gets the narrowest rule that reproduces the spec's published vectors, so that
//! `ecapi-scope hash` and the validator agree on what a correct hash is.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The hashed fields of ECAPI 1.0, each with its own normalization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashField {
    CustomerIdentifier,
    Email,
    Phone,
    FirstName,
    LastName,
    Street,
    PostalCode,
    Gender,
    UidId,
}

impl HashField {
    pub const ALL: [HashField; 9] = [
        HashField::CustomerIdentifier,
        HashField::Email,
        HashField::Phone,
        HashField::FirstName,
        HashField::LastName,
        HashField::Street,
        HashField::PostalCode,
        HashField::Gender,
        HashField::UidId,
    ];

    /// The field's name as the spec writes it (`address.first_name` for address members).
    pub fn name(self) -> &'static str {
        match self {
            HashField::CustomerIdentifier => "customer_identifier",
            HashField::Email => "email_address",
            HashField::Phone => "phone_numbers",
            HashField::FirstName => "address.first_name",
            HashField::LastName => "address.last_name",
            HashField::Street => "address.street",
            HashField::PostalCode => "address.postal_code",
            HashField::Gender => "gender",
            HashField::UidId => "uids.id",
        }
    }

    /// Accepts the spec's name, the bare member name, and a few common aliases.
    pub fn parse(name: &str) -> Option<HashField> {
        let name = name.trim().to_ascii_lowercase();
        let bare = name.rsplit('.').next().unwrap_or(&name);
        Some(match bare {
            "customer_identifier" | "customer_id" | "external_id" => HashField::CustomerIdentifier,
            "email_address" | "email" | "em" => HashField::Email,
            "phone_numbers" | "phone_number" | "phone" | "ph" => HashField::Phone,
            "first_name" | "fn" => HashField::FirstName,
            "last_name" | "ln" => HashField::LastName,
            "street" => HashField::Street,
            "postal_code" | "zip" | "zp" => HashField::PostalCode,
            "gender" | "ge" => HashField::Gender,
            "id" | "uid" | "uids" => HashField::UidId,
            _ => return None,
        })
    }
}

/// Normalizes `raw` for `field` as the spec describes, before hashing.
pub fn normalize(field: HashField, raw: &str) -> String {
    let trimmed = raw.trim();
    match field {
        HashField::Email | HashField::CustomerIdentifier | HashField::UidId => {
            trimmed.to_lowercase()
        }
        HashField::Phone => normalize_phone(trimmed),
        HashField::FirstName | HashField::LastName | HashField::Gender => {
            strip_punctuation(trimmed, false)
        }
        HashField::Street => strip_punctuation(trimmed, true),
        HashField::PostalCode => normalize_postal(trimmed),
    }
}

/// Digits only, leading zeros dropped, and the `+` the spec requires in front.
fn normalize_phone(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return String::new();
    }
    format!("+{digits}")
}

/// Lower-case, punctuation removed; inner white space collapsed to one space when `keep_spaces`,
/// removed otherwise (a name is one token).
fn strip_punctuation(raw: &str, keep_spaces: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut pending_space = false;
    for c in raw.chars().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            pending_space = keep_spaces && !out.is_empty();
        } else if c.is_alphanumeric() {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Lower-case without spaces or punctuation; a US ZIP+4 keeps its five-digit ZIP, as the spec
/// says US postal codes are five digits.
fn normalize_postal(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let is_zip_plus4 = bytes.len() == 10
        && bytes[5] == b'-'
        && bytes[..5].iter().all(u8::is_ascii_digit)
        && bytes[6..].iter().all(u8::is_ascii_digit);
    if is_zip_plus4 {
        return raw[..5].to_owned();
    }
    raw.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Lower-case hex SHA-256 of `text`'s UTF-8 bytes.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Normalizes and hashes in one step: what a sender should put in the field.
pub fn hash_field(field: HashField, raw: &str) -> String {
    sha256_hex(&normalize(field, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keeps_plus_and_country_code() {
        assert_eq!(
            normalize(HashField::Phone, "+1 (212) 555-0000"),
            "+12125550000"
        );
        assert_eq!(
            normalize(HashField::Phone, "0044 20 7946 0000"),
            "+442079460000"
        );
        assert_eq!(normalize(HashField::Phone, "--"), "");
    }

    #[test]
    fn names_lose_punctuation_and_case() {
        assert_eq!(normalize(HashField::LastName, " O'Brien "), "obrien");
        assert_eq!(
            normalize(HashField::Street, " 1 Main St., Apt 4 "),
            "1 main st apt 4"
        );
    }

    #[test]
    fn postal_codes() {
        assert_eq!(normalize(HashField::PostalCode, "10001-1234"), "10001");
        assert_eq!(normalize(HashField::PostalCode, "SW1A 1AA"), "sw1a1aa");
    }

    #[test]
    fn empty_string_hash_is_the_well_known_one() {
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn field_names_parse() {
        assert_eq!(
            HashField::parse("address.first_name"),
            Some(HashField::FirstName)
        );
        assert_eq!(HashField::parse("email"), Some(HashField::Email));
        assert_eq!(HashField::parse("favourite_colour"), None);
    }
}
