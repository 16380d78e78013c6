//! Pretty JSON with a path on every line, for the detail view and diffs: findings are placed on
//! the line of their path. It re-indents the text as sent — member order, duplicate names and
//! number spelling are kept, which a parse into a tree would lose — and every token is made
//! terminal-safe, so the lines can be drawn as they are.

use crate::engine::path::push_member;
use crate::output::safe::safe;
use std::fmt::Write as _;
use std::ops::Range;

/// Lines past this many are not formatted (the rest is summarised in one line).
pub const MAX_LINES: usize = 20_000;

/// What a token on a line is, for highlighting without a second tokenizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Key,
    String,
    Number,
    Literal,
    Punct,
    Other,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Line {
    pub depth: u16,
    /// Terminal-safe text, without the indentation.
    pub text: String,
    /// The path of the member or element this line starts (empty on closing lines).
    pub path: String,
    /// The byte range of the value in `text`, to highlight an offending value.
    pub value: Option<Range<usize>>,
    pub tokens: Vec<(Token, Range<usize>)>,
}

enum Frame {
    Object { path: String },
    Array { path: String, next: u32 },
}

struct Printer<'a> {
    raw: &'a [u8],
    at: usize,
    lines: Vec<Line>,
    line: Line,
    stack: Vec<Frame>,
    key: Option<String>,
}

/// Formats one JSON value. Whatever is not valid JSON is kept, escaped, on a line of its own.
pub fn pretty(raw: &[u8]) -> Vec<Line> {
    let mut p = Printer {
        raw,
        at: 0,
        lines: Vec::new(),
        line: Line {
            path: "$".into(),
            ..Line::default()
        },
        stack: Vec::new(),
        key: None,
    };
    p.run();
    p.lines
}

impl Printer<'_> {
    fn run(&mut self) {
        while self.at < self.raw.len() {
            if self.lines.len() >= MAX_LINES {
                let left = self.raw.len() - self.at;
                self.flush();
                self.lines.push(Line {
                    text: format!("… {left} more bytes not shown"),
                    ..Line::default()
                });
                return;
            }
            let b = self.raw[self.at];
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.at += 1,
                b'{' | b'[' => self.open(b),
                b'}' | b']' => self.close(b),
                b',' => {
                    self.push(Token::Punct, ",");
                    self.at += 1;
                    self.flush();
                }
                b':' => {
                    self.push(Token::Punct, ": ");
                    self.at += 1;
                }
                b'"' => self.string(),
                _ => self.scalar(),
            }
        }
        self.flush();
    }

    /// The path of the value that starts here (a member, an element or the root).
    fn value_path(&mut self) -> String {
        match self.stack.last_mut() {
            None => "$".into(),
            Some(Frame::Object { path, .. }) => {
                let mut p = path.clone();
                push_member(&mut p, self.key.as_deref().unwrap_or(""));
                p
            }
            Some(Frame::Array { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                p
            }
        }
    }

    /// A value starts: on a new line unless it follows its member name.
    fn begin_value(&mut self) -> String {
        let in_object = matches!(self.stack.last(), Some(Frame::Object { .. }));
        if !in_object {
            self.flush();
        }
        let path = self.value_path();
        if self.line.path.is_empty() {
            self.line.path.clone_from(&path);
        }
        path
    }

    fn open(&mut self, b: u8) {
        let path = self.begin_value();
        self.key = None;
        self.push(Token::Punct, if b == b'{' { "{" } else { "[" });
        self.at += 1;
        self.flush();
        self.stack.push(if b == b'{' {
            Frame::Object { path }
        } else {
            Frame::Array { path, next: 0 }
        });
    }

    fn close(&mut self, b: u8) {
        self.flush();
        self.stack.pop();
        self.key = None;
        self.push(Token::Punct, if b == b'}' { "}" } else { "]" });
        self.at += 1;
    }

    fn string(&mut self) {
        let start = self.at;
        let mut i = start + 1;
        while i < self.raw.len() {
            match self.raw[i] {
                b'\\' => i += 2,
                b'"' => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
        let end = i.min(self.raw.len());
        self.at = end;
        let text = String::from_utf8_lossy(&self.raw[start..end]).into_owned();
        let in_object = matches!(self.stack.last(), Some(Frame::Object { .. }));
        if in_object && self.key.is_none() && self.next_is_colon() {
            self.flush();
            self.key = Some(serde_json::from_str::<String>(&text).unwrap_or_else(|_| text.clone()));
            let path = self.value_path();
            self.line.path = path;
            self.push(Token::Key, &text);
        } else {
            self.begin_value();
            self.push_value(Token::String, &text);
            self.key = None;
        }
    }

    fn next_is_colon(&self) -> bool {
        self.raw[self.at..]
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b':')
    }

    fn scalar(&mut self) {
        let start = self.at;
        let mut i = start;
        while i < self.raw.len() && !b",:{}[]\" \t\r\n".contains(&self.raw[i]) {
            i += 1;
        }
        // A stray byte that starts no token still moves the printer on.
        let end = i.max(start + 1);
        self.at = end;
        let text = String::from_utf8_lossy(&self.raw[start..end]).into_owned();
        let token = match text.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => Token::Number,
            Some(b't' | b'f' | b'n') => Token::Literal,
            _ => Token::Other,
        };
        self.begin_value();
        self.push_value(token, &text);
        self.key = None;
    }

    fn push(&mut self, token: Token, text: &str) {
        let shown = safe(text);
        let start = self.line.text.len();
        self.line.text.push_str(&shown);
        self.line.tokens.push((token, start..self.line.text.len()));
    }

    fn push_value(&mut self, token: Token, text: &str) {
        let start = self.line.text.len();
        self.push(token, text);
        self.line.value = Some(start..self.line.text.len());
    }

    fn flush(&mut self) {
        if self.line.text.is_empty() {
            return;
        }
        let depth = u16::try_from(self.stack.len()).unwrap_or(u16::MAX);
        let mut line = std::mem::take(&mut self.line);
        line.depth = depth;
        self.lines.push(line);
    }
}

/// The lines as plain text, indented by two spaces a level (for tests and copying).
pub fn plain(lines: &[Line]) -> String {
    let mut out = String::new();
    for l in lines {
        let _ = writeln!(out, "{:width$}{}", "", l.text, width = 2 * l.depth as usize);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_gives_each_line_its_path() {
        let raw = br#"{"b":1,"a":{"x":[true,{"y":null}],"odd key":"v"},"a":2.50}"#;
        let lines = pretty(raw);
        assert_eq!(
            plain(&lines),
            "{\n  \"b\": 1,\n  \"a\": {\n    \"x\": [\n      true,\n      {\n        \"y\": null\n      }\n    ],\n    \"odd key\": \"v\"\n  },\n  \"a\": 2.50\n}\n"
        );
        let paths: Vec<_> = lines.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "$",
                "$.b",
                "$.a",
                "$.a.x",
                "$.a.x[0]",
                "$.a.x[1]",
                "$.a.x[1].y",
                "",
                "",
                "$.a[\"odd key\"]",
                "",
                "$.a",
                ""
            ]
        );
        let b = &lines[1];
        assert_eq!(&b.text[b.value.clone().unwrap()], "1");
    }

    #[test]
    fn escapes_what_drives_a_terminal() {
        let raw = "{\"k\u{1b}\":\"a\u{9b}31m\u{202e}\"}".as_bytes();
        let text = plain(&pretty(raw));
        assert!(
            !text
                .lines()
                .any(|l| l.chars().any(crate::jsontext::is_unsafe)),
            "{text:?}"
        );
        assert!(text.contains("\\u{9b}31m\\u{202e}"), "{text}");
    }

    #[test]
    fn any_bytes_give_lines_and_no_panic() {
        for raw in [
            &b""[..],
            b"{",
            b"}}]]",
            b"\"unterminated",
            b"{\"a\":",
            b"[1,,2]",
            b"\xff\xfe{",
            b"{\"a\" \"b\"}",
        ] {
            let _ = pretty(raw);
        }
        let huge = format!("[{}0]", "0,".repeat(MAX_LINES + 5));
        let lines = pretty(huge.as_bytes());
        assert!(lines.len() <= MAX_LINES + 2);
        assert!(lines.last().unwrap().text.contains("more bytes"));
    }
}
