//! Formats and highlights events' JSON on a thread of its own, so that a long payload never
//! holds up a frame. Requests queue up; only the latest is worked on (the user has moved on
//! from the others). syntect's JSON grammar gives the token classes; the app caches results.

use crate::app::detail::Doc;
use crate::app::Msg;
use crate::output::pretty::{pretty, Token};
use std::ops::Range;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use syntect::parsing::{ParseState, Scope, ScopeStack, ScopeStackOp, SyntaxSet};

/// Highlights `raw` into a document. Uses the pretty printer's own token classes when the
/// grammar cannot be had.
pub fn document(raw: &[u8], syntaxes: &SyntaxSet) -> Doc {
    let lines = pretty(raw);
    let styles = classify(&lines, syntaxes)
        .unwrap_or_else(|| lines.iter().map(|l| l.tokens.clone()).collect());
    Doc { lines, styles }
}

struct Scopes {
    key: [Scope; 2],
    string: Scope,
    number: Scope,
    literal: Scope,
    punct: Scope,
}

fn token_of(stack: &ScopeStack, s: &Scopes) -> Token {
    let scopes = stack.as_slice();
    let has = |wanted: &Scope| scopes.iter().any(|sc| wanted.is_prefix_of(*sc));
    if s.key.iter().any(has) {
        Token::Key
    } else if has(&s.string) {
        Token::String
    } else if has(&s.number) {
        Token::Number
    } else if has(&s.literal) {
        Token::Literal
    } else if has(&s.punct) {
        Token::Punct
    } else {
        Token::Other
    }
}

fn classify(lines: &[crate::output::pretty::Line], syntaxes: &SyntaxSet) -> Option<Vec<Styled>> {
    let syntax = syntaxes.find_syntax_by_extension("json")?;
    let scope = |s: &str| Scope::new(s).ok();
    let scopes = Scopes {
        key: [
            scope("meta.mapping.key")?,
            scope("meta.structure.dictionary.key")?,
        ],
        string: scope("string")?,
        number: scope("constant.numeric")?,
        literal: scope("constant.language")?,
        punct: scope("punctuation")?,
    };
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Vec::with_capacity(lines.len());
    let mut text = String::new();
    for line in lines {
        text.clear();
        text.push_str(&line.text);
        text.push('\n');
        let ops = state.parse_line(&text, syntaxes).ok()?;
        let mut spans: Vec<(Token, Range<usize>)> = Vec::new();
        let mut at = 0;
        for (pos, op) in ops
            .iter()
            .chain(std::iter::once(&(line.text.len(), ScopeStackOp::Noop)))
        {
            let pos = (*pos).min(line.text.len());
            if pos > at {
                spans.push((token_of(&stack, &scopes), at..pos));
                at = pos;
            }
            stack.apply(op).ok()?;
        }
        out.push(spans);
    }
    Some(out)
}

/// One line's highlighted ranges.
type Styled = Vec<(Token, Range<usize>)>;

/// A job for the worker.
pub struct Job {
    pub seq: u64,
    pub raw: Arc<[u8]>,
    /// Not JSON (a malformed record): shown as the text it is, not re-indented.
    pub as_text: bool,
}

/// Columns per line when a record is shown as text.
const TEXT_WIDTH: usize = 100;

/// A malformed record as it came: its text (invalid UTF-8 replaced, unsafe characters escaped)
/// in lines of at most `TEXT_WIDTH` characters, broken only where the record has a line break.
pub fn text(raw: &[u8]) -> Doc {
    let text = String::from_utf8_lossy(raw);
    let mut lines = Vec::new();
    'all: for part in text.split('\n') {
        let chars: Vec<char> = part.chars().collect();
        for chunk in chars
            .chunks(TEXT_WIDTH)
            .take(crate::output::pretty::MAX_LINES)
        {
            let s: String = chunk.iter().collect();
            let shown = crate::output::safe::safe(&s).into_owned();
            let len = shown.len();
            lines.push(crate::output::pretty::Line {
                path: if lines.is_empty() {
                    "$".into()
                } else {
                    String::new()
                },
                tokens: vec![(Token::Other, 0..len)],
                text: shown,
                ..Default::default()
            });
            if lines.len() >= crate::output::pretty::MAX_LINES {
                break 'all;
            }
        }
    }
    let styles = lines.iter().map(|l| l.tokens.clone()).collect();
    Doc { lines, styles }
}

/// Runs until `jobs` closes; answers on `out`.
pub fn worker(jobs: &Receiver<Job>, out: &Sender<Msg>) {
    let syntaxes = SyntaxSet::load_defaults_newlines();
    while let Ok(mut job) = jobs.recv() {
        while let Ok(newer) = jobs.try_recv() {
            job = newer;
        }
        let doc = if job.as_text {
            text(&job.raw)
        } else {
            document(&job.raw, &syntaxes)
        };
        if out.send(Msg::Highlighted(job.seq, Arc::new(doc))).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_come_from_the_grammar() {
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let doc = document(br#"{"id":"e1","value":19.5,"ok":true}"#, &syntaxes);
        let line = &doc.lines[1];
        let classes: Vec<_> = doc.styles[1]
            .iter()
            .map(|(t, r)| (*t, &line.text[r.clone()]))
            .filter(|(_, s)| !s.trim().is_empty())
            .collect();
        assert!(
            classes
                .iter()
                .any(|(t, s)| *t == Token::String && s.contains("e1")),
            "{classes:?}"
        );
        assert!(
            classes
                .iter()
                .any(|(t, s)| *t == Token::Key && s.contains("id")),
            "{classes:?}"
        );
        let value = &doc.styles[2];
        assert!(value.iter().any(|(t, _)| *t == Token::Number), "{value:?}");
    }
}
