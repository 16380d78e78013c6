//! Every finding code, its severity, the spec section it enforces and the fix: the rules table
//! (`docs/RULES.md` is generated from it, and a test keeps the two identical).

use serde::Serialize;
use std::fmt::Write as _;

/// How bad a finding is. `Error`: the spec says the record may be discarded, a receiver's typed
/// decoder would reject it, or privacy is at risk. `Warning`: a recommendation is broken or the
/// data is likely wrong. `Info`: worth knowing, nothing to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// One row of the rules table.
pub struct Rule {
    pub code: Code,
    pub name: &'static str,
    pub severity: Severity,
    pub spec: &'static str,
    pub what: &'static str,
    pub fix: &'static str,
}

macro_rules! rules {
    ($( $variant:ident = $name:literal, $sev:ident, $spec:literal, $what:literal, $fix:literal; )*) => {
        /// A stable finding code; its `name` is the contract other tools match on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        /// The rules table, in documentation order.
        pub const RULES: &[Rule] = &[ $( Rule {
            code: Code::$variant,
            name: $name,
            severity: Severity::$sev,
            spec: $spec,
            what: $what,
            fix: $fix,
        }, )* ];
    };
}

rules! {
    MalformedJson = "malformed_json", Error, "API Conventions",
        "The record is not valid JSON or not valid UTF-8.",
        "Send one complete JSON value per line, UTF-8 encoded.";
    LineTooLong = "line_too_long", Error, "API Conventions",
        "The line is longer than the configured limit (`--max-line-bytes`); it was not parsed.",
        "Split the batch, or raise the limit if the receiver accepts such bodies.";
    NestingTooDeep = "nesting_too_deep", Error, "API Conventions",
        "JSON nested deeper than 128 levels; it was not parsed.",
        "No ECAPI object nests more than a few levels: look for a serializer loop.";
    TooManyFindings = "too_many_findings", Warning, "API Conventions",
        "The event has more than 100 findings; the rest are counted, not listed.",
        "Fix the listed findings first: the rest are usually the same mistake repeated.";
    NotAnObject = "not_an_object", Error, "Event Payload",
        "A record, or an element of a batch, is not a JSON object.",
        "Each event is a JSON object; a batch is an array of them or an envelope holding one.";
    EmptyBatch = "empty_batch", Warning, "Individual vs Batch Events",
        "A batch that holds no event.",
        "Do not send empty batches.";
    DuplicateKey = "duplicate_key", Warning, "API Conventions",
        "The same member appears twice in one object; receivers keep either one.",
        "Send each member once.";
    WrongType = "wrong_type", Error, "Event Payload",
        "A field holds a JSON type other than the one the spec defines (e.g. a number in a string).",
        "Send the type the spec's tables name: numbers unquoted, strings quoted.";
    NotAnArray = "not_an_array", Warning, "Event Payload",
        "A field typed \"string, array\" or \"object, array\" holds a bare value.",
        "Wrap the value in an array: [\"…\"].";
    UnknownField = "unknown_field", Warning, "Event Payload",
        "A member the spec does not define in this object (misspelt, or invented).",
        "Use the name the hint suggests, or move custom data into `ext`.";
    MisplacedField = "misplaced_field", Warning, "Event Payload",
        "A member that the spec defines in another object (e.g. `email_address` at the top level).",
        "Move it to the object the hint names.";
    ForeignField = "foreign_field", Warning, "Event Payload",
        "A member from another platform's conversion API (e.g. `event_name`, `action_source`).",
        "Rename it to the ECAPI field the hint names.";
    EnumInvalid = "enum_invalid", Error, "Event Payload",
        "A value outside the field's enumeration.",
        "Send one of the values the spec lists (numbered labels accept the number or the label).";
    NumberOutOfRange = "number_out_of_range", Warning, "Event Payload",
        "A number outside the range that makes sense for the field (e.g. a negative level).",
        "Check the unit and the sign.";
    ControlCharacters = "control_characters", Warning, "API Conventions",
        "A string holds control characters (newlines, escape sequences).",
        "Strip control characters before sending.";
    Untrimmed = "untrimmed", Warning, "Normalization",
        "An identifier with leading or trailing white space; it will not match the same id without it.",
        "Trim identifiers.";
    EmptyValue = "empty_value", Warning, "API Conventions",
        "An optional field holds an empty string.",
        "Leave the field out when there is no value.";
    DataSetIdMissing = "data_set_id_missing", Error, "core Event Object",
        "`data_set_id` is missing; the record may be discarded.",
        "Send the data_set_id agreed with the receiver.";
    DataSetIdInvalid = "data_set_id_invalid", Error, "core Event Object",
        "`data_set_id` is not a non-empty string; the record may be discarded.",
        "Send the data_set_id as a non-empty string.";
    IdMissing = "id_missing", Warning, "ID Based Records Processing",
        "No `id`: the event cannot be deduplicated (the spec calls `id` strongly recommended).",
        "Send a unique id per event, the same on every channel that reports it.";
    IdEmpty = "id_empty", Warning, "ID Based Records Processing",
        "`id` is an empty string: every such event shares one key.",
        "Send a unique id, or leave the member out.";
    TimestampMissing = "timestamp_missing", Error, "core Event Object",
        "`timestamp` is missing; the record may be discarded.",
        "Send the event time as unix seconds.";
    TimestampInvalid = "timestamp_invalid", Error, "core Event Object",
        "`timestamp` is not an integer (a string, a fraction, a date text).",
        "Send an unquoted integer of unix seconds, e.g. 1746558464.";
    TimestampMilliseconds = "timestamp_milliseconds", Error, "core Event Object",
        "`timestamp` is in milliseconds; the spec wants seconds.",
        "Divide by 1000.";
    TimestampMicroseconds = "timestamp_microseconds", Error, "core Event Object",
        "`timestamp` is in microseconds or nanoseconds; the spec wants seconds.",
        "Divide by 1,000,000 (or 1,000,000,000 for nanoseconds).";
    TimestampImplausible = "timestamp_implausible", Error, "core Event Object",
        "`timestamp` is zero, negative, or before 2000-01-01.",
        "Send the time of the event, not a default value.";
    TimestampFuture = "timestamp_future", Warning, "core Event Object",
        "`timestamp` is later than the arrival time (beyond the allowed clock skew).",
        "Check the sender's clock and time zone handling: unix time is UTC.";
    TimestampStale = "timestamp_stale", Warning, "Individual vs Batch Events",
        "`timestamp` is older than the configured maximum age (7 days by default).",
        "Send events sooner; many receivers drop old events.";
    EventTypeMissing = "event_type_missing", Error, "core Event Object",
        "`event_type` is missing; the record may be discarded.",
        "Send one of the spec's event types.";
    EventTypeUnknown = "event_type_unknown", Error, "event_type(s) Enumeration",
        "`event_type` is not one of the standard or additional event types.",
        "Use the ECAPI name the hint suggests, or `custom` with `custom_event`.";
    CustomEventMissing = "custom_event_missing", Error, "core Event Object",
        "`event_type` is `custom` but `custom_event` is missing or empty; the record may be discarded.",
        "Name the custom event in `custom_event`.";
    CustomEventIgnored = "custom_event_ignored", Info, "core Event Object",
        "`custom_event` is set but `event_type` is not `custom`; receivers ignore it.",
        "Drop `custom_event`, or send `event_type: custom`.";
    CurrencyMissing = "currency_missing", Error, "core Event Object",
        "`value` is set without `currency_code`; the record may be discarded.",
        "Send the ISO 4217 code of the value's currency.";
    CurrencyInvalid = "currency_invalid", Error, "core Event Object",
        "`currency_code` is not an ISO 4217 code.",
        "Send a three-letter ISO 4217 code such as USD or EUR.";
    CurrencyLowercase = "currency_lowercase", Warning, "core Event Object",
        "`currency_code` is an ISO 4217 code written in lower case.",
        "Send it upper-case, as ISO 4217 writes it.";
    ValueMissing = "value_missing", Warning, "core Event Object",
        "A purchase, refund, subscription, donation, trial start or converted lead without `value`.",
        "Send the event's value and currency.";
    AmountNegative = "amount_negative", Warning, "core Event Object",
        "A monetary amount (value, price, discount, shipping, tax) below zero.",
        "Send amounts as positive numbers; a refund is told by its event type.";
    ValueItemsMismatch = "value_items_mismatch", Warning, "properties Object",
        "`value` disagrees with the items (Σ price × quantity − discounts, with or without shipping and tax).",
        "Check the value or the item prices and quantities.";
    SourceMissing = "source_missing", Info, "core Event Object",
        "`source` (recommended) is not set.",
        "Say where the event happened: website, app, physical_store, …";
    NoMatchKeys = "no_match_keys", Info, "user_data Object",
        "The event carries no user identifier at all, so a receiver cannot attribute it.",
        "Send at least one of email, phone, customer id, uids, click id, IP and user agent, ifa.";
    HashNotSha256 = "hash_not_sha256", Error, "Normalization",
        "A hashed field that is not a 64-character hex SHA-256 digest.",
        "Normalize the value, hash it with SHA-256 and send the lower-case hex digest.";
    UnhashedPii = "unhashed_pii", Error, "Normalization",
        "A hashed field holds raw personal data (an email address, a phone number, a name).",
        "Never send raw PII: normalize and SHA-256 it (`ecapi-scope hash`).";
    HashUppercase = "hash_uppercase", Warning, "Normalization",
        "A SHA-256 digest written in upper-case hex; receivers compare lower-case hex.",
        "Send the hex digest in lower case.";
    HashOfPlaceholder = "hash_of_placeholder", Warning, "Normalization",
        "The SHA-256 of an empty or placeholder string (\"\", \"null\", \"undefined\", …): it matches unrelated users.",
        "Leave the field out when the value is unknown.";
    IpInvalid = "ip_invalid", Error, "user_data Object",
        "An IP address field that is not a valid IPv4 or IPv6 address.",
        "Send the client's address in dotted or colon notation, without port.";
    IpNotPublic = "ip_not_public", Info, "user_data Object",
        "A private, loopback, link-local, documentation or reserved IP address: valid, but in production likely the server's, not the user's.",
        "In production send the client's public address (from X-Forwarded-For at your edge): receivers match on it.";
    UtcoffsetOutOfRange = "utcoffset_out_of_range", Error, "user_data Object",
        "`utcoffset` outside −720…+840 minutes.",
        "Send the offset in minutes.";
    UtcoffsetSuspect = "utcoffset_suspect", Warning, "user_data Object",
        "`utcoffset` is not a multiple of 15 minutes: likely hours or seconds instead of minutes.",
        "Send the offset in minutes (e.g. -300 for UTC−5).";
    GppSidWithoutString = "gpp_sid_without_string", Warning, "user_data Object",
        "`gpp_sid` is set without `gpp_string`.",
        "Send both, or neither.";
    GppStringWithoutSid = "gpp_string_without_sid", Warning, "user_data Object",
        "`gpp_string` is set without `gpp_sid`.",
        "Send the applicable section ids in `gpp_sid`.";
    GppStringInvalid = "gpp_string_invalid", Warning, "user_data Object",
        "`gpp_string` holds characters a GPP string cannot contain.",
        "Pass the consent string through unchanged from the CMP.";
    GppSidHeader = "gpp_sid_header", Info, "user_data Object",
        "`gpp_sid` lists section 3 (header) or 4 (signal integrity), which need not be included.",
        "List only the applicable sections.";
    IfaZeroed = "ifa_zeroed", Warning, "user_data Object",
        "`ifa` is the all-zero identifier a device reports when tracking is limited.",
        "Leave `ifa` out when the device reports zeros.";
    CountryCodeInvalid = "country_code_invalid", Warning, "address Object",
        "`country_code` is not an ISO 3166-1 alpha-2 code.",
        "Send the two-letter code, lower-case (e.g. gb, us).";
    NotNormalized = "not_normalized", Warning, "address Object",
        "A plain-text address member that is not lower-case without punctuation, as the spec recommends.",
        "Lower-case it and strip punctuation.";
    UidSourceInvalid = "uid_source_invalid", Warning, "uids Object",
        "`uids[].source` is not a canonical domain.",
        "Send the domain of the ID's issuer, e.g. liveramp.com.";
    DateInvalid = "date_invalid", Error, "properties Object",
        "A date field that is not a real calendar date in YYYYMMDD or YYYY-MM-DD.",
        "Send the date as YYYY-MM-DD.";
    DateOrder = "date_order", Warning, "properties Object",
        "`lease_end_date` is before `lease_start_date`.",
        "Check the two dates.";
    AirportCodeInvalid = "airport_code_invalid", Warning, "properties Object",
        "`destination_airport` is not a three-letter IATA code.",
        "Send the IATA code in capitals, e.g. JFK.";
    UrlInvalid = "url_invalid", Warning, "properties Object",
        "`page_url` is not an absolute URI (a scheme, then `:`), or holds white space or control characters.",
        "Send the full URL, scheme included (https://…, or an app deep link such as myapp://…); percent-encode spaces.";
    VinInvalid = "vin_invalid", Warning, "properties Object",
        "`vin` is not 17 characters of the VIN alphabet (no I, O or Q).",
        "Send the 17-character VIN.";
    QuantityInvalid = "quantity_invalid", Warning, "item Object",
        "An item `quantity` of zero or less.",
        "Send the number of units.";
    DuplicateExact = "duplicate_exact", Info, "ID Based Records Processing",
        "Same `data_set_id` and `id` as an earlier event, same content: a resend, merged by the receiver.",
        "Nothing to fix unless resends are unexpected.";
    DuplicateConflict = "duplicate_conflict", Warning, "ID Based Records Processing",
        "Same `data_set_id` and `id` as an earlier event, different content (the value lists the paths that differ).",
        "Use a new id for a new event; send the same content for the same event.";
    IdReused = "id_reused", Error, "ID Based Records Processing",
        "Same `data_set_id` and `id` as an earlier event of another `event_type`: an id reused for a different event.",
        "Generate ids that are unique per event.";
    IdInOtherDataSet = "id_in_other_data_set", Info, "ID Based Records Processing",
        "The same `id` was seen under another `data_set_id`: separate id spaces, not a duplicate.",
        "Nothing to fix; shown so that it is not mistaken for a duplicate.";
}

impl Code {
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.rule().name
    }

    pub fn severity(self) -> Severity {
        self.rule().severity
    }

    pub fn parse(name: &str) -> Option<Code> {
        RULES.iter().find(|r| r.name == name).map(|r| r.code)
    }
}

/// The rules table as Markdown, for `docs/RULES.md` and `ecapi-scope rules`; where `o`
/// changes a code's severity, the cell says so and where the change came from.
pub fn rules_markdown(o: &crate::engine::severity::Overrides) -> String {
    let mut out = String::from(
        "# Validation rules\n\nGenerated by `ecapi-scope rules` from `src/ecapi/codes.rs`; a test \
         keeps this file identical to it.\n\n| code | severity | spec section | what | fix |\n\
         | --- | --- | --- | --- | --- |\n",
    );
    for r in RULES {
        let severity = match o.get(r.code) {
            (level, Some(source)) => {
                format!(
                    "**{}** ({source}; default {})",
                    level.name(),
                    r.severity.name()
                )
            }
            (level, None) => level.name().to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            r.name,
            severity,
            r.spec,
            r.what.replace('|', "\\|"),
            r.fix.replace('|', "\\|")
        );
    }
    out.push_str(DECISIONS);
    out
}

const DECISIONS: &str = "
## Decisions where the spec is open

- `null` for an optional member means the member is absent; for a required member it counts as
  missing. Canonical comparison for deduplication treats `null` members as absent as well.
- Fields typed \"string, array\", \"integer, array\" or \"object, array\" are arrays of that type;
  a bare value is accepted with `not_an_array` and then checked like an element.
- Enumerations written as numbered labels (`age_range`, `address_type`, `availability`,
  `body_style`, `condition_of_vehicle`, `drivetrain`, `fuel_type`, `listing_type`,
  `transmission`) accept the number or the exact label text (`\"billing\"`).
- `atype` follows AdCOM's agent types (1–3, 500+ vendor-specific); `cattax` AdCOM's category
  taxonomies (1–8, 500+ vendor-specific).
- Integers written with a fraction or exponent (`5.0`) are `wrong_type`; deduplication still
  compares `5.0` and `5` as equal numbers.
- `ext` objects are free-form: never looked into, never flagged (only an `ext` that is not an
  object is `wrong_type`).
- Time checks (`timestamp_future`, `timestamp_stale`) compare with the record's receive time when
  a source recorded one (captures), else with the time of the check; 5 minutes of clock skew
  are allowed.
- `value_missing` applies only to purchase, refund, subscribe, donate, start_trial and
  close_convert_lead, where a value is the point of the event.
- Unknown members are warnings, not errors: the spec tells receivers to expect unexpected fields.
  An unknown member is reported whatever its value, `null` included: \"null means absent\" is a
  rule for the spec's own optional members, and a sender who writes `\"method\": null` believes
  it is sending an ECAPI member.
- `referrer` is free text (the spec says \"traffic referrer\", not a URL). URL members must be
  absolute URIs (RFC 3986: a scheme, then `:`) without white space or control characters: app
  deep links (`app://…`, `android-app://…`, `myapp://…`) are valid URLs.
- `ip_not_public` is `info`: the spec asks for \"a valid IPV4 or IPV6 address\", and its own
  example sends a private one; test and staging traffic use private and documentation ranges.
- `no_match_keys` is `info`: `user_data` is optional in the spec; a receiver that cannot
  attribute the event is worth knowing about, not a broken rule.
- Severities are a policy, not the spec: a team raises or silences a code with the config
  file's `[severity]` table (`ip_not_public = \"error\"`) or `--severity CODE=LEVEL` (`error`,
  `warning`, `info`, `off`); status, `--fail-on`, aggregates and every output use the severity
  in force, and `ecapi-scope rules` shows it with where it came from.
- An empty `id` is no id for deduplication (`id_empty`): it cannot tell events apart.
- A duplicate whose content equals an earlier *conflicting* version is an exact duplicate of
  that version. Up to 32 distinct contents are remembered per key; later ones are conflicts.
- The dedup window compares event timestamps; events without a valid timestamp are always
  compared. `id_reused` needs a valid `event_type` on both sides.
- Members of a batch envelope other than the events array belong to no event and are ignored.
- Numbers beyond the range of a 64-bit float (`1e400`) make the record `malformed_json`.
- `no_match_keys`: an IP address or a user agent alone is no identifier; the pair is.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_order_matches_the_enum() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.code as usize, i, "{}", r.name);
            assert_eq!(Code::parse(r.name), Some(r.code));
        }
    }

    #[test]
    fn names_are_unique_snake_case() {
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        assert!(names.iter().all(|n| n
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }

    #[test]
    fn docs_rules_md_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/RULES.md");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == rules_markdown(&crate::engine::severity::Overrides::default()),
            "docs/RULES.md is stale: run `cargo run -- rules > docs/RULES.md`"
        );
    }
}
