//! What the engine says about each event: its findings, status, stage and duplicate verdict.
//! These types are the engine's output; the ndjson contract serializes them as they are.

use crate::ecapi::codes::{Code, Severity};
use crate::engine::stage::Stage;

/// One rule broken by one value.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub code: Code,
    /// The severity in force: the code's own, or the one the configuration gives it.
    pub severity: Severity,
    /// Normalized JSON path: `$` is the event, `.name` a member, `[3]` an element.
    pub path: std::borrow::Cow<'static, str>,
    /// The offending value as JSON text, shortened when long; `None` when the member is missing.
    pub value: Option<String>,
    pub message: Message,
    pub hint: Option<String>,
}

/// A finding's message. The warnings every event of a stale capture carries keep what they
/// are made from and are written out only when an output shows them (`check`'s summary, the
/// aggregates and the TUI's lists never do), so that an event with a finding costs about what
/// a clean one does.
#[derive(Clone, Debug)]
pub enum Message {
    Text(String),
    /// `timestamp_stale` / `timestamp_future`: the event time and its distance (seconds)
    /// from arrival.
    Stale {
        time: i64,
        age: i64,
    },
    Future {
        time: i64,
        ahead: i64,
    },
    /// A duplicate's: what it is, and where its key was first seen (every resend of a retrying
    /// sender carries one).
    FirstAt {
        seen: Seen,
        line: u64,
        index: Option<u32>,
    },
}

/// What a duplicate is, for its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    Resend,
    OtherType,
    Conflict,
}

impl Seen {
    /// Writes the message, "… line N (event I) …": plain ASCII, the inside of a JSON string
    /// as it is.
    pub fn write<W: std::io::Write>(
        self,
        w: &mut W,
        line: u64,
        index: Option<u32>,
    ) -> std::io::Result<()> {
        let (before, after) = match self {
            Seen::Resend => ("an exact resend of ", ""),
            Seen::OtherType => ("this id was used for another event_type at ", ""),
            Seen::Conflict => ("same key as ", ", different content"),
        };
        let mut n = itoa::Buffer::new();
        w.write_all(before.as_bytes())?;
        w.write_all(b"line ")?;
        w.write_all(n.format(line).as_bytes())?;
        if let Some(i) = index {
            w.write_all(b" (event ")?;
            w.write_all(n.format(i).as_bytes())?;
            w.write_all(b")")?;
        }
        w.write_all(after.as_bytes())
    }
}

impl Message {
    /// The text, formatted now when it was deferred.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        use crate::engine::time::{format_utc, human};
        match self {
            Message::Text(t) => std::borrow::Cow::Borrowed(t),
            Message::Stale { time, age } => std::borrow::Cow::Owned(format!(
                "{} is {} before arrival",
                format_utc(*time),
                human(*age)
            )),
            Message::Future { time, ahead } => std::borrow::Cow::Owned(format!(
                "{} is {} after arrival",
                format_utc(*time),
                human(*ahead)
            )),
            Message::FirstAt { seen, line, index } => {
                let mut text = Vec::new();
                // Writing into a Vec cannot fail, and the words are ASCII.
                let _ = seen.write(&mut text, *line, *index);
                std::borrow::Cow::Owned(String::from_utf8(text).unwrap_or_default())
            }
        }
    }
}

/// Messages are equal when their words are: a deferred one equals the text it makes.
impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        match (self, other) {
            (Message::Text(a), Message::Text(b)) => a == b,
            _ => self.text() == other.text(),
        }
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::Text(text.to_owned())
    }
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.severity
    }
}

/// The worst thing about an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Ok,
    Warning,
    Error,
    Malformed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
            Status::Malformed => "malformed",
        }
    }

    /// The status an event with these findings has (info findings leave it `ok`).
    pub fn of(findings: &[Finding]) -> Status {
        match findings.iter().map(Finding::severity).max() {
            Some(Severity::Error) => Status::Error,
            Some(Severity::Warning) => Status::Warning,
            _ => Status::Ok,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DuplicateKind {
    /// Same key, same content: a resend.
    Exact,
    /// Same key, different content.
    Conflict,
}

impl DuplicateKind {
    pub fn name(self) -> &'static str {
        match self {
            DuplicateKind::Exact => "exact",
            DuplicateKind::Conflict => "conflict",
        }
    }
}

/// Where an event's key was seen before.
#[derive(Clone, Debug, PartialEq)]
pub struct Duplicate {
    pub kind: DuplicateKind,
    pub first_line: u64,
    pub first_index: Option<u32>,
    pub first_source: u16,
    /// For conflicts: the paths whose values differ (empty when the first payload is no longer
    /// available to compare, see `paths_known`).
    pub paths: Vec<String>,
    pub paths_known: bool,
}

/// The engine's verdict on one event (or on one record that held no event).
#[derive(Debug)]
pub struct EventReport<'a> {
    pub line: u64,
    pub index: Option<u32>,
    pub source: u16,
    pub received_ms: i64,
    pub status: Status,
    /// The `event_type` text as sent, when it was a string.
    pub event_type: Option<&'a str>,
    /// The event type, when `event_type` is a valid one.
    pub kind: Option<crate::ecapi::event_type::EventType>,
    pub stage: Option<Stage>,
    pub data_set_id: Option<&'a str>,
    pub id: Option<&'a str>,
    pub timestamp: Option<i64>,
    pub value: Option<f64>,
    pub currency: Option<&'a str>,
    pub duplicate: Option<&'a Duplicate>,
    pub findings: &'a [Finding],
}
