//! What the walk learns about one event besides its findings, and the checks that need the
//! whole event (required members, conditional requirements, pairs, value against items).

use crate::ecapi::codes::Code;
use crate::ecapi::event_type::EventType;
use crate::engine::report::Finding;

/// User identifiers, for match-key coverage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MatchKey {
    Email,
    Phone,
    CustomerId,
    Uids,
    ClickId,
    ImpressionId,
    IpAndUserAgent,
    Ifa,
    Address,
}

impl MatchKey {
    pub const ALL: [MatchKey; 9] = [
        MatchKey::Email,
        MatchKey::Phone,
        MatchKey::CustomerId,
        MatchKey::Uids,
        MatchKey::ClickId,
        MatchKey::ImpressionId,
        MatchKey::IpAndUserAgent,
        MatchKey::Ifa,
        MatchKey::Address,
    ];

    pub fn name(self) -> &'static str {
        match self {
            MatchKey::Email => "email",
            MatchKey::Phone => "phone",
            MatchKey::CustomerId => "customer_id",
            MatchKey::Uids => "uids",
            MatchKey::ClickId => "click_id",
            MatchKey::ImpressionId => "impression_id",
            MatchKey::IpAndUserAgent => "ip_user_agent",
            MatchKey::Ifa => "ifa",
            MatchKey::Address => "address",
        }
    }

    pub fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

/// Running totals of `properties.items`, to compare with `value`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ItemTotals {
    pub count: u32,
    pub all_priced: bool,
    pub total: f64,
    /// The item being walked.
    pub price: Option<f64>,
    pub discount: f64,
    pub quantity: f64,
}

/// A reusable text buffer that remembers whether it holds a value.
#[derive(Debug, Default)]
pub struct Slot {
    buf: String,
    set: bool,
}

impl Slot {
    #[inline]
    pub fn set(&mut self, s: &str) {
        self.buf.clear();
        self.buf.push_str(s);
        self.set = true;
    }

    #[inline]
    pub fn get(&self) -> Option<&str> {
        self.set.then_some(self.buf.as_str())
    }

    #[inline]
    pub fn clear(&mut self) {
        self.set = false;
    }
}

/// The plain-data part of [`EventFacts`], reset wholesale between events.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scalars {
    pub event_type: Option<EventType>,
    /// Which members were present (even if invalid), so that "missing" is said once.
    pub seen_data_set_id: bool,
    pub seen_timestamp: bool,
    pub seen_event_type: bool,
    pub seen_id: bool,
    pub seen_value: bool,
    pub seen_currency: bool,
    pub seen_source: bool,
    pub seen_custom_event: bool,
    /// The timestamp, when it is plausible unix seconds.
    pub timestamp: Option<i64>,
    pub value: Option<f64>,
    pub match_keys: u16,
    pub has_ip: bool,
    pub has_user_agent: bool,
    pub gpp_string: bool,
    pub gpp_sid: bool,
    pub items: Option<ItemTotals>,
    pub shipping: f64,
    pub tax: f64,
    pub lease_start: Option<u32>,
    pub lease_end: Option<u32>,
    pub content_hash: u64,
    /// The id's key in the dedup index, when the committer looked it up ahead (see
    /// `Committer::warm`).
    pub id_key: Option<u128>,
    /// Set for a batch element that is not an object: nothing but its finding is known.
    pub not_an_object: bool,
    /// Findings past `MAX_FINDINGS`, counted and not kept.
    pub findings_over: u32,
}

/// Findings kept per event; past this, one `too_many_findings` says how many more there were,
/// so that a hostile event (a million unknown members) costs bounded memory and output.
pub const MAX_FINDINGS: usize = 100;

/// Everything learnt about one event. Reused from event to event: reset keeps the buffers.
#[derive(Debug, Default)]
pub struct EventFacts {
    pub findings: Vec<Finding>,
    pub data_set_id: Slot,
    pub id: Slot,
    pub event_type_text: Slot,
    pub custom_event: Slot,
    pub currency: Slot,
    /// `lease_end_date` as sent, for the finding's value.
    pub lease_end_text: Slot,
    pub f: Scalars,
}

impl EventFacts {
    /// Empties the facts for the next event, keeping allocations.
    pub fn reset(&mut self) {
        self.findings.clear();
        self.data_set_id.clear();
        self.id.clear();
        self.event_type_text.clear();
        self.custom_event.clear();
        self.currency.clear();
        self.lease_end_text.clear();
        self.f = Scalars::default();
    }

    fn missing(&mut self, code: Code, path: &'static str, message: &str, hint: Option<String>) {
        self.findings.push(Finding {
            code,
            severity: code.severity(),
            path: path.into(),
            value: None,
            message: message.into(),
            hint,
        });
    }

    /// Checks that need the whole event. Runs once the walk of the event is complete.
    pub fn finish(&mut self) {
        if self.f.not_an_object {
            return;
        }
        if !self.f.seen_data_set_id {
            self.missing(
                Code::DataSetIdMissing,
                "$.data_set_id",
                "data_set_id is missing",
                None,
            );
        }
        if !self.f.seen_timestamp {
            self.missing(
                Code::TimestampMissing,
                "$.timestamp",
                "timestamp is missing",
                None,
            );
        }
        if !self.f.seen_event_type {
            self.missing(
                Code::EventTypeMissing,
                "$.event_type",
                "event_type is missing",
                None,
            );
        }
        if !self.f.seen_id {
            self.missing(
                Code::IdMissing,
                "$.id",
                "no id: this event cannot be deduplicated",
                None,
            );
        }
        if !self.f.seen_source {
            self.missing(Code::SourceMissing, "$.source", "source is not set", None);
        }
        self.finish_type_rules();
        self.finish_user_data();
        self.finish_amounts();
        if let (Some(start), Some(end)) = (self.f.lease_start, self.f.lease_end) {
            if end < start {
                self.findings.push(Finding {
                    code: Code::DateOrder,
                    severity: Code::DateOrder.severity(),
                    path: "$.properties.lease_end_date".into(),
                    value: self.lease_end_text.get().map(json_string),
                    message: format!("the lease ends ({end}) before it starts ({start})").into(),
                    hint: None,
                });
            }
        }
    }

    fn finish_type_rules(&mut self) {
        let custom_event_set = self
            .custom_event
            .get()
            .is_some_and(|c| !c.trim().is_empty());
        match self.f.event_type {
            Some(EventType::CUSTOM) if !custom_event_set => {
                let value = self.custom_event.get().map(json_string);
                self.findings.push(Finding {
                    code: Code::CustomEventMissing,
                    severity: Code::CustomEventMissing.severity(),
                    path: "$.custom_event".into(),
                    value,
                    message: "event_type is custom but custom_event is missing or empty".into(),
                    hint: Some("name the event in custom_event".into()),
                });
            }
            Some(t) if t != EventType::CUSTOM && self.f.seen_custom_event => {
                let value = self.custom_event.get().map(json_string);
                self.findings.push(Finding {
                    code: Code::CustomEventIgnored,
                    severity: Code::CustomEventIgnored.severity(),
                    path: "$.custom_event".into(),
                    value,
                    message: format!("custom_event is ignored for event_type {}", t.name()).into(),
                    hint: None,
                });
            }
            _ => {}
        }
        let needs_value = matches!(
            self.f.event_type.map(EventType::name),
            Some(
                "purchase"
                    | "refund"
                    | "subscribe"
                    | "donate"
                    | "start_trial"
                    | "close_convert_lead"
            )
        );
        if needs_value && !self.f.seen_value {
            let name = self.f.event_type.map_or("", EventType::name);
            self.missing(
                Code::ValueMissing,
                "$.value",
                &format!("a {name} without a value"),
                Some("send value and currency_code".into()),
            );
        }
    }

    fn finish_user_data(&mut self) {
        if self.f.has_ip && self.f.has_user_agent {
            self.f.match_keys |= MatchKey::IpAndUserAgent.bit();
        }
        if self.f.match_keys == 0 {
            self.missing(
                Code::NoMatchKeys,
                "$.user_data",
                "no user identifier (an IP or a user agent alone does not identify): a receiver cannot attribute this event",
                None,
            );
        }
        if self.f.gpp_sid && !self.f.gpp_string {
            self.missing(
                Code::GppSidWithoutString,
                "$.user_data.gpp_string",
                "gpp_sid is set without gpp_string",
                None,
            );
        }
        if self.f.gpp_string && !self.f.gpp_sid {
            self.missing(
                Code::GppStringWithoutSid,
                "$.user_data.gpp_sid",
                "gpp_string is set without gpp_sid",
                None,
            );
        }
    }

    fn finish_amounts(&mut self) {
        if self.f.seen_value && !self.f.seen_currency {
            let value = self.f.value.map(format_number);
            self.findings.push(Finding {
                code: Code::CurrencyMissing,
                severity: Code::CurrencyMissing.severity(),
                path: "$.currency_code".into(),
                value: None,
                message: format!(
                    "value {} is set without currency_code",
                    value.as_deref().unwrap_or("")
                )
                .into(),
                hint: Some("send the ISO 4217 code, e.g. \"USD\"".into()),
            });
        }
        let (Some(value), Some(items)) = (self.f.value, self.f.items) else {
            return;
        };
        if items.count == 0 || !items.all_priced {
            return;
        }
        let candidates = [
            items.total,
            items.total + self.f.shipping,
            items.total + self.f.tax,
            items.total + self.f.shipping + self.f.tax,
        ];
        let agrees = candidates
            .iter()
            .any(|c| (value - c).abs() <= 0.01f64.max(c.abs() * 0.005));
        if !agrees {
            self.findings.push(Finding {
                code: Code::ValueItemsMismatch,
                severity: Code::ValueItemsMismatch.severity(),
                path: "$.value".into(),
                value: Some(format_number(value)),
                message: format!(
                    "value {} but the items add up to {} ({} with shipping and tax)",
                    format_number(value),
                    format_number(items.total),
                    format_number(items.total + self.f.shipping + self.f.tax)
                )
                .into(),
                hint: None,
            });
        }
    }
}

/// A number as JSON text, rounded for display.
pub fn format_number(v: f64) -> String {
    let rounded = if v.abs() < 1e9 {
        (v * 1e6).round() / 1e6
    } else {
        v
    };
    serde_json::Number::from_f64(rounded).map_or_else(|| "null".into(), |n| n.to_string())
}

/// A string as JSON text, shortened to `PREVIEW_CHARS` characters.
pub fn json_string(s: &str) -> String {
    let shown: String;
    let text = if s.chars().count() > PREVIEW_CHARS {
        shown = s
            .chars()
            .take(PREVIEW_CHARS)
            .chain(std::iter::once('…'))
            .collect();
        shown.as_str()
    } else {
        s
    };
    crate::jsontext::quote(text)
}

/// How much of a long value a finding keeps.
pub const PREVIEW_CHARS: usize = 120;
