//! The filter language shared by the TUI (`/`), `watch --filter` and `check --filter`: a few
//! `key:value` terms and free text, all of which must match (AND), each negated by a leading
//! `-`. It lives in the library so that headless commands and the TUI select the same events.
//!
//! ```text
//! type:purchase stage:lower ds:acme* status:error code:url_invalid path:$.page_url
//! src:http id:evt-1 dup:conflict "free text" -status:ok
//! ```
//!
//! Values are exact, with `*` as a wildcard; `src:` matches part of the source label; free text
//! matches part of the raw payload, ignoring case unless the text has an upper-case letter
//! (ripgrep's smart case). Positive `code:` and `path:` terms must hold for the same finding,
//! so `code:X path:Y` selects the events that carry finding X at path Y.

use crate::ecapi::codes::{Code, RULES};
use crate::ecapi::suggest::closest;
use crate::engine::aggregate::fold_indices;
use crate::engine::report::{DuplicateKind, Finding, Status};
use crate::engine::stage::Stage;

/// What a filter looks at in one event.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub event_type: Option<&'a str>,
    pub stage: Option<Stage>,
    pub data_set_id: Option<&'a str>,
    pub id: Option<&'a str>,
    pub status: Status,
    pub duplicate: Option<DuplicateKind>,
    pub findings: &'a [Finding],
    pub source: &'a str,
    /// The event's own JSON text (for batches, the element).
    pub raw: &'a [u8],
}

impl<'a> Subject<'a> {
    /// What a filter sees of an event the engine reported, from `source`, whose own text is
    /// `raw`.
    pub fn of(r: &crate::engine::report::EventReport<'a>, source: &'a str, raw: &'a [u8]) -> Self {
        Subject {
            event_type: r.event_type,
            stage: r.stage,
            data_set_id: r.data_set_id,
            id: r.id,
            status: r.status,
            duplicate: r.duplicate.map(|d| d.kind),
            findings: r.findings,
            source,
            raw,
        }
    }
}

/// A filter that does not parse: what is wrong and where (a character offset).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at column {})", column + 1)]
pub struct FilterError {
    pub message: String,
    pub column: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum DupWanted {
    Any,
    Kind(DuplicateKind),
    No,
}

#[derive(Clone, Debug, PartialEq)]
enum Test {
    Type(Pattern),
    Stage(Option<Stage>),
    DataSet(Pattern),
    Id(Pattern),
    Status(Status),
    Code(Pattern),
    Path(Pattern),
    Source(String),
    Dup(DupWanted),
    Text { needle: Vec<u8>, fold: bool },
}

#[derive(Clone, Debug, PartialEq)]
struct Term {
    negated: bool,
    test: Test,
}

/// A parsed filter; the empty filter matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    terms: Vec<Term>,
    text: String,
}

/// The keys, for help and did-you-mean.
pub const KEYS: &[(&str, &str)] = &[
    ("type", "event_type, e.g. type:purchase"),
    ("stage", "funnel stage: upper, mid, lower, custom, none"),
    ("ds", "data_set_id (* is a wildcard)"),
    ("status", "ok, warning, error, malformed"),
    ("code", "a finding code, e.g. code:url_invalid"),
    (
        "path",
        "a finding's path, e.g. path:$.user_data.email_address",
    ),
    ("src", "part of the source label"),
    ("id", "the event id"),
    ("dup", "exact, conflict, any or none"),
];

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        for (column, word) in words(text)? {
            terms.push(term(&word, column)?);
        }
        Ok(Filter {
            terms,
            text: text.trim().to_owned(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The filter as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, s: &Subject) -> bool {
        let mut finding_tests: Vec<&Test> = Vec::new();
        for t in &self.terms {
            if !t.negated && matches!(t.test, Test::Code(_) | Test::Path(_)) {
                finding_tests.push(&t.test);
                continue;
            }
            if test(&t.test, s) == t.negated {
                return false;
            }
        }
        finding_tests.is_empty()
            || s.findings
                .iter()
                .any(|f| finding_tests.iter().all(|t| finding_test(t, f)))
    }
}

fn test(t: &Test, s: &Subject) -> bool {
    match t {
        Test::Type(p) => s.event_type.is_some_and(|v| p.matches(v)),
        Test::Stage(st) => s.stage == *st,
        Test::DataSet(p) => s.data_set_id.is_some_and(|v| p.matches(v)),
        Test::Id(p) => s.id.is_some_and(|v| p.matches(v)),
        Test::Status(st) => s.status == *st,
        Test::Code(_) | Test::Path(_) => s.findings.iter().any(|f| finding_test(t, f)),
        Test::Source(part) => s.source.contains(part.as_str()),
        Test::Dup(DupWanted::Any) => s.duplicate.is_some(),
        Test::Dup(DupWanted::No) => s.duplicate.is_none(),
        Test::Dup(DupWanted::Kind(k)) => s.duplicate == Some(*k),
        Test::Text { needle, fold } => contains(s.raw, needle, *fold),
    }
}

fn finding_test(t: &Test, f: &Finding) -> bool {
    match t {
        Test::Code(p) => p.matches(f.code.name()),
        Test::Path(p) => p.matches(&f.path) || p.matches(&fold_indices(&f.path)),
        _ => false,
    }
}

/// `needle` in `hay`; with `fold`, ASCII case is ignored (the needle is lower-case).
fn contains(hay: &[u8], needle: &[u8], fold: bool) -> bool {
    if !fold {
        return memchr::memmem::find(hay, needle).is_some();
    }
    let Some(&first) = needle.first() else {
        return true;
    };
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lo, up, hay).any(|at| {
        hay.get(at..at + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

/// A value with `*` wildcards.
#[derive(Clone, Debug, PartialEq)]
struct Pattern(Vec<String>);

impl Pattern {
    fn new(text: &str) -> Pattern {
        Pattern(text.split('*').map(str::to_owned).collect())
    }

    fn matches(&self, v: &str) -> bool {
        let parts = &self.0;
        if parts.len() == 1 {
            return parts[0] == v;
        }
        let (first, last) = (&parts[0], &parts[parts.len() - 1]);
        if !v.starts_with(first.as_str()) || v.len() < first.len() + last.len() {
            return false;
        }
        let mut rest = &v[first.len()..v.len() - last.len()];
        if !v.ends_with(last.as_str()) {
            return false;
        }
        for mid in &parts[1..parts.len() - 1] {
            match rest.find(mid.as_str()) {
                Some(at) => rest = &rest[at + mid.len()..],
                None => return false,
            }
        }
        true
    }
}

/// Splits into words, honouring double quotes (`\"` and `\\` inside them); each word comes with
/// the column it starts at.
fn words(text: &str) -> Result<Vec<(usize, String)>, FilterError> {
    let mut out = Vec::new();
    let mut chars = text.chars().enumerate().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let mut quoted_at = None;
        while let Some(&(i, c)) = chars.peek() {
            if quoted_at.is_none() && c.is_whitespace() {
                break;
            }
            chars.next();
            match c {
                '"' if quoted_at.is_some() => quoted_at = None,
                '"' => quoted_at = Some(i),
                '\\' if quoted_at.is_some() => {
                    if let Some((_, n)) = chars.next() {
                        word.push(n);
                    }
                }
                other => word.push(other),
            }
        }
        if let Some(at) = quoted_at {
            return Err(FilterError {
                message: "a quote is not closed".into(),
                column: at,
            });
        }
        out.push((start, word));
    }
    Ok(out)
}

fn term(word: &str, column: usize) -> Result<Term, FilterError> {
    let err = |message: String| FilterError { message, column };
    let (negated, body) = match word.strip_prefix('-') {
        Some("") => {
            return Err(err(
                "a lone `-` negates nothing: put a term right after it".into()
            ))
        }
        Some(rest) if rest.starts_with('-') => {
            return Err(err(format!(
                "`{word}`: one `-` negates a term; to match text that starts with `-`, quote it"
            )))
        }
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let key_value = body
        .split_once(':')
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic()));
    let Some((key, value)) = key_value else {
        let fold = !body.chars().any(char::is_uppercase);
        let needle = if fold {
            body.to_ascii_lowercase()
        } else {
            body.to_owned()
        };
        return Ok(Term {
            negated,
            test: Test::Text {
                needle: needle.into_bytes(),
                fold,
            },
        });
    };
    if value.is_empty() {
        return Err(err(format!("`{key}:` needs a value")));
    }
    let test = match key {
        "type" => Test::Type(Pattern::new(value)),
        "ds" => Test::DataSet(Pattern::new(value)),
        "id" => Test::Id(Pattern::new(value)),
        "src" => Test::Source(value.to_owned()),
        "path" => Test::Path(Pattern::new(value)),
        "stage" => Test::Stage(stage(value).map_err(err)?),
        "status" => Test::Status(status(value).map_err(err)?),
        "dup" => Test::Dup(dup(value).map_err(err)?),
        "code" => {
            if !value.contains('*') && Code::parse(value).is_none() {
                let hint = closest(value, RULES.iter().map(|r| r.name))
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                return Err(err(format!("unknown finding code `{value}`{hint}")));
            }
            Test::Code(Pattern::new(value))
        }
        other => {
            let hint = closest(other, KEYS.iter().map(|(k, _)| *k))
                .map(|k| format!(" (did you mean `{k}:`?)"))
                .unwrap_or_default();
            let keys: Vec<_> = KEYS.iter().map(|(k, _)| format!("{k}:")).collect();
            return Err(err(format!(
                "unknown filter key `{other}:`{hint}; keys are {}",
                keys.join(" ")
            )));
        }
    };
    Ok(Term { negated, test })
}

fn one_of<T: Copy>(value: &str, what: &str, table: &[(&str, T)]) -> Result<T, String> {
    if let Some((_, v)) = table.iter().find(|(n, _)| *n == value) {
        return Ok(*v);
    }
    let names: Vec<_> = table.iter().map(|(n, _)| *n).collect();
    Err(format!(
        "unknown {what} `{value}`; one of {}",
        names.join(", ")
    ))
}

fn stage(value: &str) -> Result<Option<Stage>, String> {
    one_of(
        value,
        "stage",
        &[
            ("upper", Some(Stage::Upper)),
            ("mid", Some(Stage::Mid)),
            ("lower", Some(Stage::Lower)),
            ("custom", Some(Stage::Custom)),
            ("none", None),
        ],
    )
}

fn status(value: &str) -> Result<Status, String> {
    one_of(
        value,
        "status",
        &[
            ("ok", Status::Ok),
            ("warning", Status::Warning),
            ("error", Status::Error),
            ("malformed", Status::Malformed),
        ],
    )
}

fn dup(value: &str) -> Result<DupWanted, String> {
    let table = [("any", 0u8), ("exact", 1), ("conflict", 2), ("none", 3)];
    Ok(match one_of(value, "duplicate kind", &table)? {
        0 => DupWanted::Any,
        1 => DupWanted::Kind(DuplicateKind::Exact),
        2 => DupWanted::Kind(DuplicateKind::Conflict),
        _ => DupWanted::No,
    })
}

#[cfg(test)]
mod tests;
