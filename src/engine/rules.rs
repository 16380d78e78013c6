//! The checks the walk applies to each member, by the member's kind and rule, and the findings
//! they produce. Value-level checks live in `ecapi::checks`; this file decides where they apply
//! and records the facts (ids, amounts, identifiers) that later stages need.

use crate::ecapi::checks::{self, Report};
use crate::ecapi::codes::Code;
use crate::ecapi::dialect::{self, Diagnosis};
use crate::ecapi::event_type::{self, EventType, Suggestion};
use crate::ecapi::normalize::HashField;
use crate::ecapi::schema::{
    DateField, FloatRule, IntRule, IpField, Kind, ObjDef, StrRule, SOURCES,
};
use crate::ecapi::suggest;
use crate::engine::facts::{format_number, json_string, MatchKey};
use crate::engine::report::{Finding, Message};
use crate::engine::walk::{Num, Walk};

/// Sends check results to the current event, at the current path, showing `shown`.
struct At<'w> {
    w: &'w mut Walk,
    shown: Shown<'w>,
}

enum Shown<'a> {
    Str(&'a str),
    Num(Num),
}

impl Report for At<'_> {
    fn report(&mut self, code: Code, message: impl Into<Message>, hint: Option<String>) {
        let value = match self.shown {
            Shown::Str(s) => json_string(s),
            Shown::Num(Num::Int(i)) => itoa::Buffer::new().format(i).to_owned(),
            Shown::Num(Num::Float(f)) => format_number(f),
        };
        self.w
            .finding(code, Some(value), message.into(), hint, None);
    }
}

const MIN_PLAUSIBLE: i64 = 946_684_800; // 2000-01-01T00:00:00Z

impl Walk {
    pub(crate) fn finding(
        &mut self,
        code: Code,
        value: Option<String>,
        message: impl Into<Message>,
        hint: Option<String>,
        member: Option<&str>,
    ) {
        if self.ev().findings.len() >= crate::engine::facts::MAX_FINDINGS {
            self.ev().f.findings_over = self.ev().f.findings_over.saturating_add(1);
            return;
        }
        let path = self.path.render(member);
        self.ev().findings.push(Finding {
            code,
            severity: code.severity(),
            path: path.into(),
            value,
            message: message.into(),
            hint,
        });
    }

    /// Records that a member with presence rules was sent (whatever its value's type).
    pub(crate) fn mark_seen(&mut self, kind: Kind) {
        let f = &mut self.ev().f;
        match kind {
            Kind::Str(StrRule::DataSetId) => f.seen_data_set_id = true,
            Kind::Str(StrRule::EventId) => f.seen_id = true,
            Kind::Str(StrRule::EventType) => f.seen_event_type = true,
            Kind::Str(StrRule::CustomEvent) => f.seen_custom_event = true,
            Kind::Str(StrRule::Currency) => f.seen_currency = true,
            Kind::Str(StrRule::Source) => f.seen_source = true,
            Kind::Str(StrRule::GppString) => f.gpp_string = true,
            Kind::IntArray(IntRule::GppSid) | Kind::Int(IntRule::GppSid) => f.gpp_sid = true,
            Kind::Int(IntRule::Timestamp) => f.seen_timestamp = true,
            Kind::Float(FloatRule::Value) => f.seen_value = true,
            _ => {}
        }
    }

    pub(crate) fn not_an_object(&mut self, shown: String) {
        self.ev().f.not_an_object = true;
        self.finding(
            Code::NotAnObject,
            Some(shown),
            "an event must be a JSON object",
            None,
            None,
        );
    }

    pub(crate) fn duplicate_key(&mut self) {
        self.finding(
            Code::DuplicateKey,
            None,
            "this member appears more than once in its object",
            Some("receivers keep either value: send it once".into()),
            None,
        );
    }

    /// A member name repeated inside a free-form value (`ext`, an unknown member's value):
    /// `member` is the unknown member holding it, if any, `rel` the path inside.
    pub(crate) fn duplicate_inside(&mut self, member: Option<&str>, rel: &str) {
        if self.ev().findings.len() >= crate::engine::facts::MAX_FINDINGS {
            self.ev().f.findings_over = self.ev().f.findings_over.saturating_add(1);
            return;
        }
        let mut path = self.path.render(member);
        path.push_str(rel);
        self.ev().findings.push(Finding {
            code: Code::DuplicateKey,
            severity: Code::DuplicateKey.severity(),
            path: path.into(),
            value: None,
            message: "this member appears more than once in its object".into(),
            hint: Some("receivers keep either value: send it once".into()),
        });
    }

    /// An unknown member name repeated in its object.
    pub(crate) fn duplicate_unknown(&mut self, name: &str) {
        self.finding(
            Code::DuplicateKey,
            None,
            "this member appears more than once in its object",
            Some("receivers keep either value: send it once".into()),
            Some(name),
        );
    }

    pub(crate) fn not_an_array(&mut self, got: &str) {
        self.finding(
            Code::NotAnArray,
            None,
            format!("the spec types this member as an array; got {got}"),
            Some("wrap the value in [ ]".into()),
            None,
        );
    }

    /// A value of the wrong JSON type, reported under the member's own code where it has one.
    pub(crate) fn wrong_type(
        &mut self,
        kind: Kind,
        got: &str,
        shown: String,
        hint: Option<String>,
    ) {
        let code = match kind {
            Kind::Str(StrRule::DataSetId) => Code::DataSetIdInvalid,
            Kind::Int(IntRule::Timestamp) => Code::TimestampInvalid,
            Kind::Str(StrRule::EventType) => Code::EventTypeUnknown,
            Kind::Str(StrRule::Currency) => Code::CurrencyInvalid,
            _ => Code::WrongType,
        };
        let message = format!("expected {}, got {got}", kind.describe());
        self.finding(code, Some(shown), message, hint, None);
    }

    pub(crate) fn unknown_member(&mut self, def: &ObjDef, name: &str, shown: String) {
        let (code, message, hint) = match dialect::diagnose(def, name) {
            Diagnosis::Foreign { platform, instead } => (
                Code::ForeignField,
                format!("{name:?} is {platform}'s field, not ECAPI's"),
                Some(format!("ECAPI calls it {instead}")),
            ),
            Diagnosis::Misplaced { belongs_in } => (
                Code::MisplacedField,
                format!("{name:?} is not a member of {}", def.name),
                Some(format!("it belongs in {belongs_in}")),
            ),
            Diagnosis::Misspelt { meant } => (
                Code::UnknownField,
                format!("{name:?} is not a member of {}", def.name),
                Some(format!("did you mean {meant:?}?")),
            ),
            Diagnosis::Unknown => (
                Code::UnknownField,
                format!("{:?} is not a member of {}", shorten(name), def.name),
                Some("put custom data in ext".into()),
            ),
        };
        self.finding(code, Some(shown), message, hint, Some(name));
    }

    /// A JSON number, for whatever kind the member is.
    pub(crate) fn number(&mut self, kind: Kind, element: bool, n: Num) {
        self.mark_seen(kind);
        let shown = || match n {
            Num::Int(i) => i.to_string(),
            Num::Float(f) => format_number(f),
        };
        match kind {
            Kind::Int(rule) => self.integer(rule, n),
            Kind::IntArray(rule) => {
                if !element {
                    self.not_an_array("a bare integer");
                }
                self.integer(rule, n);
            }
            Kind::Float(rule) => self.float(rule, n),
            Kind::Labels(labels) => {
                let ok = matches!(n, Num::Int(i) if i >= 1 && (i as usize) <= labels.len());
                if !ok {
                    self.enum_invalid(labels, shown());
                }
            }
            Kind::Str(StrRule::EventId) => {
                // Numeric ids are common; key them by their text so duplicates are still found.
                let shown = shown();
                self.ev().id.set(&shown);
                let hint = Some(format!("send \"{shown}\""));
                self.wrong_type(kind, "a number", shown, hint);
            }
            _ => self.wrong_type(kind, "a number", shown(), None),
        }
    }

    fn enum_invalid(&mut self, labels: &[&str], shown: String) {
        let listed: Vec<String> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{} {l}", i + 1))
            .collect();
        self.finding(
            Code::EnumInvalid,
            Some(shown),
            format!("not one of: {}", listed.join(", ")),
            None,
            None,
        );
    }

    fn integer(&mut self, rule: IntRule, n: Num) {
        let i = match n {
            Num::Int(i) => i,
            Num::Float(f) => {
                let hint = (f.fract() == 0.0).then(|| format!("send {f:.0} without a fraction"));
                self.wrong_type(
                    Kind::Int(rule),
                    "a number with a fraction or exponent",
                    format_number(f),
                    hint,
                );
                return;
            }
        };
        let mut at = At {
            w: self,
            shown: Shown::Num(n),
        };
        match rule {
            IntRule::Timestamp => at.w.timestamp(i),
            IntRule::UtcOffset => {
                if !(-720..=840).contains(&i) {
                    at.report(Code::UtcoffsetOutOfRange, "outside -720…+840 minutes", None);
                } else if i % 15 != 0 {
                    let hint =
                        (i.abs() <= 14).then(|| format!("if {i} means hours, send {}", i * 60));
                    at.report(Code::UtcoffsetSuspect, "not a multiple of 15 minutes", hint);
                }
            }
            IntRule::GppSid => {
                if i <= 0 {
                    at.report(Code::NumberOutOfRange, "GPP section ids are positive", None);
                } else if i == 3 || i == 4 {
                    at.report(
                        Code::GppSidHeader,
                        format!("section {i} need not be listed"),
                        None,
                    );
                }
            }
            IntRule::Atype => {
                if !((1..=3).contains(&i) || i >= 500) {
                    at.report(
                        Code::EnumInvalid,
                        "AdCOM agent types are 1, 2, 3 or 500+",
                        None,
                    );
                }
            }
            IntRule::Cattax => {
                if !((1..=8).contains(&i) || i >= 500) {
                    at.report(
                        Code::EnumInvalid,
                        "AdCOM category taxonomies are 1–8 or 500+",
                        None,
                    );
                }
            }
            IntRule::NonNegative => {
                if i < 0 {
                    at.report(Code::NumberOutOfRange, "must not be negative", None);
                }
            }
            IntRule::Any => {}
        }
    }

    fn timestamp(&mut self, t: i64) {
        let now = self.reference_time;
        let mut at = At {
            w: self,
            shown: Shown::Num(Num::Int(t)),
        };
        let date = |secs: i64| crate::engine::time::format_utc(secs);
        if t >= 1_000_000_000_000_000 {
            let secs = if t >= 1_000_000_000_000_000_000 {
                t / 1_000_000_000
            } else {
                t / 1_000_000
            };
            at.report(
                Code::TimestampMicroseconds,
                "this is microseconds or nanoseconds, not seconds",
                Some(format!("in seconds: {secs} ({})", date(secs))),
            );
        } else if t >= 1_000_000_000_000 {
            let secs = t / 1000;
            at.report(
                Code::TimestampMilliseconds,
                "this is milliseconds, not seconds",
                Some(format!("in seconds: {secs} ({})", date(secs))),
            );
        } else if t < MIN_PLAUSIBLE {
            at.report(
                Code::TimestampImplausible,
                format!("{} is not a plausible event time", date(t)),
                None,
            );
        } else {
            at.w.ev().f.timestamp = Some(t);
            let skew = at.w.cfg.skew_secs;
            let max_age = at.w.cfg.max_age_secs;
            if t > now.saturating_add(skew) {
                at.report(
                    Code::TimestampFuture,
                    Message::Future {
                        time: t,
                        ahead: t - now,
                    },
                    Some("unix time is UTC: check the sender's clock and time zone".into()),
                );
            } else if now.saturating_sub(t) > max_age {
                at.report(
                    Code::TimestampStale,
                    Message::Stale {
                        time: t,
                        age: now - t,
                    },
                    None,
                );
            }
        }
    }

    fn float(&mut self, rule: FloatRule, n: Num) {
        let v = match n {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        };
        let f = &mut self.ev().f;
        match rule {
            FloatRule::Value => f.value = Some(v),
            FloatRule::Shipping => f.shipping = v,
            FloatRule::Tax => f.tax = v,
            FloatRule::Price | FloatRule::Discount | FloatRule::Quantity => {
                if let Some(items) = f.items.as_mut() {
                    match rule {
                        FloatRule::Price => items.price = Some(v),
                        FloatRule::Discount => items.discount = v,
                        _ => items.quantity = v,
                    }
                }
            }
        }
        let mut at = At {
            w: self,
            shown: Shown::Num(n),
        };
        if rule == FloatRule::Quantity {
            if v <= 0.0 {
                at.report(Code::QuantityInvalid, "a quantity of zero or less", None);
            }
        } else if v < 0.0 {
            at.report(Code::AmountNegative, "a negative amount", None);
        }
    }

    /// A JSON string, for whatever kind the member is.
    pub(crate) fn string(&mut self, kind: Kind, element: bool, s: &str, escaped: bool) {
        self.mark_seen(kind);
        match kind {
            Kind::Str(rule) => self.str_rule(rule, s, escaped),
            Kind::StrArray(rule) => {
                if !element {
                    self.not_an_array("a bare string");
                }
                self.str_rule(rule, s, escaped);
            }
            Kind::Labels(labels) => {
                if !labels.contains(&s) {
                    self.enum_invalid(labels, json_string(s));
                }
            }
            Kind::Int(_) | Kind::IntArray(_) | Kind::Float(_) => {
                let numeric = s.trim().parse::<f64>().is_ok();
                let hint = numeric.then(|| format!("send {} without quotes", s.trim()));
                self.wrong_type(kind, "a string", json_string(s), hint);
            }
            _ => self.wrong_type(kind, "a string", json_string(s), None),
        }
    }

    fn str_rule(&mut self, rule: StrRule, s: &str, escaped: bool) {
        let mut at = At {
            w: self,
            shown: Shown::Str(s),
        };
        // A record with neither DEL nor a C1 lead byte anywhere has none in its strings either;
        // only an unescaped string can then hold a control character.
        if escaped || at.w.may_hold_controls {
            checks::control_characters(s, escaped, &mut at);
        }
        match rule {
            StrRule::DataSetId => {
                if checks::is_blank(s) {
                    at.report(Code::DataSetIdInvalid, "data_set_id is empty", None);
                } else {
                    checks::untrimmed(s, &mut at);
                }
                at.w.ev().data_set_id.set(s);
            }
            StrRule::EventId => {
                if s.is_empty() {
                    at.report(Code::IdEmpty, "id is an empty string", None);
                } else {
                    checks::untrimmed(s, &mut at);
                }
                at.w.ev().id.set(s);
            }
            StrRule::EventType => at.w.event_type(s),
            StrRule::CustomEvent => at.w.ev().custom_event.set(s),
            StrRule::Currency => {
                checks::currency(s, &mut at);
                if s.bytes().all(|b| b.is_ascii_uppercase()) {
                    at.w.ev().currency.set(s);
                } else {
                    at.w.ev().currency.set(&s.trim().to_ascii_uppercase());
                }
            }
            StrRule::Source => {
                if !SOURCES.contains(&s) {
                    let hint =
                        suggest::closest(&event_type::snake_fold(s), SOURCES.iter().copied())
                            .map(|m| format!("did you mean {m:?}?"));
                    at.report(
                        Code::EnumInvalid,
                        format!("not one of: {}", SOURCES.join(", ")),
                        hint,
                    );
                }
            }
            StrRule::Hashed(field) => {
                checks::hashed(field, s, &mut at);
                let key = match field {
                    HashField::Email => Some(MatchKey::Email),
                    HashField::Phone => Some(MatchKey::Phone),
                    HashField::CustomerIdentifier => Some(MatchKey::CustomerId),
                    HashField::UidId => Some(MatchKey::Uids),
                    HashField::Gender => None,
                    _ => Some(MatchKey::Address),
                };
                if let (Some(key), false) = (key, s.is_empty()) {
                    at.w.ev().f.match_keys |= key.bit();
                }
            }
            StrRule::Ip(which) => {
                checks::ip(s, &mut at);
                if which == IpField::Event {
                    at.w.ev().f.has_ip = true;
                }
            }
            StrRule::UserAgent(which) => {
                if checks::is_blank(s) {
                    at.report(Code::EmptyValue, "an empty user agent", None);
                } else if which == IpField::Event {
                    at.w.ev().f.has_user_agent = true;
                }
            }
            StrRule::Ifa => {
                checks::ifa(s, &mut at);
                if !s.is_empty() && !s.bytes().all(|b| b == b'0' || b == b'-') {
                    at.w.ev().f.match_keys |= MatchKey::Ifa.bit();
                }
            }
            StrRule::ClickId | StrRule::ImpressionId => {
                if checks::is_blank(s) {
                    at.report(Code::EmptyValue, "an empty identifier", None);
                } else {
                    let key = if rule == StrRule::ClickId {
                        MatchKey::ClickId
                    } else {
                        MatchKey::ImpressionId
                    };
                    at.w.ev().f.match_keys |= key.bit();
                }
            }
            StrRule::GppString => checks::gpp_string(s, &mut at),
            StrRule::CountryCode => checks::country_code(s, &mut at),
            StrRule::PlainAddress => checks::plain_address(s, &mut at),
            StrRule::UidSource => checks::uid_source(s, &mut at),
            StrRule::Date(which) => {
                let d = checks::date(s, &mut at);
                match which {
                    DateField::LeaseStart => at.w.ev().f.lease_start = d,
                    DateField::LeaseEnd => {
                        at.w.ev().f.lease_end = d;
                        at.w.ev().lease_end_text.set(s);
                    }
                    DateField::Arrival | DateField::Departure => {}
                }
            }
            StrRule::Airport => checks::airport(s, &mut at),
            StrRule::Url => checks::url(s, &mut at),
            StrRule::Vin => checks::vin(s, &mut at),
            StrRule::Text => {
                if checks::is_blank(s) {
                    at.report(
                        Code::EmptyValue,
                        "an empty string",
                        Some("leave the member out".into()),
                    );
                }
            }
        }
    }

    fn event_type(&mut self, s: &str) {
        self.ev().event_type_text.set(s);
        if let Some(t) = EventType::parse(s) {
            self.ev().f.event_type = Some(t);
            return;
        }
        let hint = match event_type::suggest(s) {
            Some((t, Suggestion::Spelling)) => Some(format!("did you mean {:?}?", t.name())),
            Some((t, Suggestion::OtherPlatform)) => Some(format!(
                "that is another platform's name: ECAPI calls it {:?}",
                t.name()
            )),
            None => Some(
                "use a standard or additional event type, or \"custom\" with custom_event".into(),
            ),
        };
        let mut at = At {
            w: self,
            shown: Shown::Str(s),
        };
        at.report(Code::EventTypeUnknown, "not an ECAPI event type", hint);
    }
}

fn shorten(name: &str) -> String {
    name.chars().take(64).collect()
}
