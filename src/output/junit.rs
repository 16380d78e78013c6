//! `--format junit`: JUnit XML for CI. One test suite per input, one test case per event;
//! an event fails when it has a finding at or above `--fail-on`.

use crate::ecapi::codes::Severity;
use crate::engine::report::EventReport;
use std::fmt::Write as _;

/// Collects one suite's cases; the suite header needs the counts, so cases are buffered.
#[derive(Default)]
pub struct Suite {
    pub name: String,
    cases: String,
    tests: u64,
    failures: u64,
}

impl Suite {
    pub fn new(name: &str) -> Suite {
        Suite {
            name: name.to_owned(),
            ..Suite::default()
        }
    }

    pub fn add(&mut self, r: &EventReport, threshold: Option<Severity>) {
        self.tests += 1;
        let name = match r.index {
            Some(i) => format!("line {} event {i}", r.line),
            None => format!("line {}", r.line),
        };
        let label = format!("{} {}", r.event_type.unwrap_or("-"), r.id.unwrap_or("-"));
        let _ = write!(
            self.cases,
            "    <testcase classname=\"{}\" name=\"{}: {}\">",
            xml(&self.name),
            xml(&name),
            xml(&label)
        );
        let failing: Vec<_> = r
            .findings
            .iter()
            .filter(|f| threshold.is_some_and(|t| f.severity() >= t))
            .collect();
        if !failing.is_empty() {
            self.failures += 1;
            let codes: Vec<&str> = failing.iter().map(|f| f.code.name()).collect();
            let _ = write!(
                self.cases,
                "\n      <failure message=\"{}\" type=\"{}\">",
                xml(&codes.join(", ")),
                r.status.name()
            );
            for f in &failing {
                let _ = writeln!(
                    self.cases,
                    "{} {} at {}: {} (value: {})",
                    f.severity().name(),
                    f.code.name(),
                    xml(&f.path),
                    xml(&f.message.text()),
                    xml(f.value.as_deref().unwrap_or("missing"))
                );
            }
            self.cases.push_str("</failure>\n    ");
        }
        self.cases.push_str("</testcase>\n");
    }

    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            xml(&self.name),
            self.tests,
            self.failures
        );
        out.push_str(&self.cases);
        out.push_str("  </testsuite>\n");
    }
}

/// A whole report from its suites; each input that could not be read (`errors`, as
/// `PATH: reason`) is a suite of its own with one test case in error.
pub fn document(suites: &[Suite], errors: &[String], inputs: &[String]) -> String {
    let tests: u64 = suites.iter().map(|s| s.tests).sum::<u64>() + errors.len() as u64;
    let failures: u64 = suites.iter().map(|s| s.failures).sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ecapi-scope check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{}\">\n",
        errors.len()
    );
    for s in suites {
        s.render(&mut out);
    }
    for e in errors {
        let input = inputs
            .iter()
            .filter(|i| e.starts_with(&format!("{i}: ")))
            .max_by_key(|i| i.len())
            .map_or(e.as_str(), String::as_str);
        let _ = write!(
            out,
            "  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase classname=\"{0}\" name=\"read the input\">\n      <error message=\"{1}\" type=\"io\"></error>\n    </testcase>\n  </testsuite>\n",
            xml(input),
            xml(e)
        );
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes for XML text and attributes; characters XML 1.0 forbids become `\u{…}` text.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if crate::jsontext::is_unsafe(c) || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(xml("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(xml("x\u{1}y"), "x\\u{1}y");
    }
}
