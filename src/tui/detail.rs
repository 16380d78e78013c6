//! The detail of one event: what it is and where it came from, the duplicate verdict and the
//! upstream's answer, the highlighted JSON with each finding marked at its path, and the
//! findings listed with code, severity, value, message, hint and spec section.

use super::live::status_text;
use super::text::time_of;
use super::theme::Theme;
use crate::app::detail::{Detail, Doc};
use crate::app::App;
use crate::ecapi::codes::Severity;
use crate::engine::report::{DuplicateKind, Finding};
use crate::ingest::MessageDetail;
use crate::output::pretty::Token;
use crate::output::safe::{safe, safe_short};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};
use std::fmt::Write as _;

/// `topic[p] @ offset N · key K · written T UTC`, every part escaped.
fn message_text(m: &MessageDetail) -> String {
    let mut parts = vec![format!(
        "{}[{}] @ offset {}",
        safe_short(&m.topic, 60),
        m.partition,
        m.offset
    )];
    match m.key.as_deref().map(std::str::from_utf8) {
        Some(Ok(key)) => parts.push(format!("key {}", safe_short(key, 80))),
        Some(Err(_)) => parts.push(format!(
            "key of {} bytes, not UTF-8",
            m.key.as_ref().map_or(0, Vec::len)
        )),
        None => parts.push("no key".into()),
    }
    if let Some(ts) = m.timestamp_ms {
        parts.push(format!("written {} UTC", time_of(ts)));
    }
    parts.join("  ·  ")
}

pub struct DetailView<'a> {
    pub app: &'a App,
    pub detail: &'a Detail,
    pub theme: &'a Theme,
}

impl DetailView<'_> {
    fn summary(&self) -> Vec<Line<'static>> {
        let (r, t) = (&self.detail.row, self.theme);
        let at = match r.index {
            Some(i) => format!("line {} (event {i})", r.line),
            None => format!("line {}", r.line),
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(status_text(r.status), t.status(r.status)),
            Span::styled(
                format!(
                    "  {}  {}  ·  {} of {}  ·  received {} UTC",
                    safe_short(r.event_type.as_deref().unwrap_or("(no event_type)"), 40),
                    r.stage.map_or("", |s| s.name()),
                    at,
                    safe_short(&r.label, 60),
                    time_of(r.received_ms)
                ),
                t.text,
            ),
        ])];
        if let Some(m) = &r.message {
            lines.push(Line::from(vec![
                Span::styled("kafka: ", t.label),
                Span::styled(message_text(m), t.text),
            ]));
        }
        if let Some(d) = &r.duplicate {
            let first = match d.first_index {
                Some(i) => format!("line {} (event {i})", d.first_line),
                None => format!("line {}", d.first_line),
            };
            let source = self
                .app
                .sources
                .get(d.first_source as usize)
                .map_or_else(String::new, |s| format!(" of {}", safe_short(&s.label, 60)));
            let present = self.app.window.rows().any(|row| row.is_first_of(d));
            let how = match d.kind {
                DuplicateKind::Exact => "exact duplicate (a resend)".to_owned(),
                DuplicateKind::Conflict if d.paths.is_empty() => {
                    "conflict: same key, different content".to_owned()
                }
                DuplicateKind::Conflict => format!(
                    "conflict: differs at {}",
                    safe_short(&d.paths.join(", "), 120)
                ),
            };
            let jump = if present {
                "press d to go there"
            } else {
                "no longer in the window"
            };
            lines.push(Line::from(Span::styled(
                format!("{how} of {first}{source} — {jump}"),
                t.duplicate,
            )));
        }
        if let Some(u) = &r.upstream {
            let status = u
                .status
                .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
            let verdict = match u.status {
                Some(s) if (200..300).contains(&s) => t.ok,
                _ => t.error,
            };
            let mut spans = vec![
                Span::styled("sent → ", t.label),
                Span::styled(status_text(r.status), t.status(r.status)),
                Span::styled(" → upstream ", t.label),
                Span::styled(format!("{status} in {} ms", u.latency_ms), verdict),
            ];
            if let Some(e) = &u.error {
                spans.push(Span::styled(format!("  {}", safe_short(e, 100)), t.error));
            }
            spans.push(Span::styled(
                format!("  {}", safe_short(&u.body, 200)),
                t.dim,
            ));
            lines.push(Line::from(spans));
        }
        lines.extend(super::replay::detail_lines(self.app, r.seq, r.status, t));
        lines
    }

    fn token_style(&self, token: Token) -> Style {
        let t = self.theme;
        match token {
            Token::Key => t.json_key,
            Token::String => t.json_string,
            Token::Number => t.json_number,
            Token::Literal => t.json_literal,
            Token::Punct => t.json_punct,
            Token::Other => t.text,
        }
    }

    fn json(&self, doc: &Doc, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let findings = &self.detail.row.findings;
        let marks: Vec<(usize, Severity, &Finding)> = findings
            .iter()
            .filter_map(|f| doc.line_of(&f.path).map(|l| (l, f.severity(), f)))
            .collect();
        let height = area.height as usize;
        let scroll = self
            .detail
            .scroll
            .min(doc.lines.len().saturating_sub(height));
        let mut out = Vec::with_capacity(height);
        for (i, line) in doc.lines.iter().enumerate().skip(scroll).take(height) {
            let here: Vec<_> = marks.iter().filter(|m| m.0 == i).collect();
            let worst = here.iter().map(|m| m.1).max();
            let exact = here
                .iter()
                .any(|m| m.2.path == line.path && m.2.value.is_some());
            let mut spans = vec![match worst {
                Some(s) => Span::styled("▶ ", t.severity(s)),
                None => Span::raw("  "),
            }];
            spans.push(Span::styled(format!("{:>4} ", i + 1), t.dim));
            spans.push(Span::raw("  ".repeat(line.depth as usize)));
            let styles = doc.styles.get(i).map_or(&line.tokens, |s| s);
            for (token, range) in styles {
                let text = line.text.get(range.clone()).unwrap_or("");
                let mut style = self.token_style(*token);
                let in_value = line
                    .value
                    .as_ref()
                    .is_some_and(|v| range.start >= v.start && range.end <= v.end);
                if exact && in_value {
                    style = style.patch(t.finding_value);
                }
                spans.push(Span::styled(text.to_owned(), style));
            }
            if worst.is_some() && !exact {
                let codes: Vec<_> = here.iter().map(|m| m.2.code.name()).collect();
                spans.push(Span::styled(format!("   ◀ {}", codes.join(", ")), t.gutter));
            }
            let mut l = Line::from(spans);
            if worst.is_some() {
                l = l.style(t.finding_line);
            }
            out.push(l);
        }
        Paragraph::new(out).render(area, buf);
    }

    fn findings(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let f = &self.detail.row.findings;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.dim)
            .title(Span::styled(
                format!(" {} finding(s) — n/N to step through ", f.len()),
                t.title,
            ));
        let inner = block.inner(area);
        block.render(area, buf);
        let mut lines = Vec::new();
        if f.is_empty() {
            lines.push(Line::from(Span::styled("No finding: a valid event.", t.ok)));
        }
        // Keep the picked finding in view: two lines each.
        let per_page = (inner.height as usize / 2).max(1);
        let picked = self.detail.finding;
        let first = picked.map_or(0, |p| (p + 1).saturating_sub(per_page));
        for (i, finding) in f.iter().enumerate().skip(first) {
            let sev = finding.severity();
            let marker = if picked == Some(i) { "› " } else { "  " };
            let rule = finding.code.rule();
            let mut head = vec![
                Span::styled(marker, t.key),
                Span::styled(format!("{:<8}", sev.name()), t.severity(sev)),
                Span::styled(format!("{:<24}", finding.code.name()), t.key),
                Span::styled(format!(" {}", safe(&finding.path)), t.json_key),
            ];
            if let Some(v) = &finding.value {
                head.push(Span::styled(
                    format!("  = {}", safe_short(v, 80)),
                    t.json_string,
                ));
            }
            lines.push(Line::from(head));
            let mut text = format!("           {}", safe(&finding.message.text()));
            if let Some(h) = &finding.hint {
                let _ = write!(text, " — {}", safe(h));
            }
            let _ = write!(text, "  [spec: {}]", rule.spec);
            lines.push(Line::from(Span::styled(text, t.text)));
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
}

impl Widget for DetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let summary = self.summary();
        let top = summary.len() as u16;
        Paragraph::new(summary).render(
            Rect {
                height: top.min(area.height),
                ..area
            },
            buf,
        );
        let rest = area.height.saturating_sub(top);
        let wanted = 2 + 2 * self.detail.row.findings.len().max(1) as u16;
        let list_h = wanted.min(rest * 2 / 5).max(3.min(rest));
        let json_area = Rect::new(
            area.x,
            area.y + top,
            area.width,
            rest.saturating_sub(list_h),
        );
        let list_area = Rect::new(area.x, json_area.y + json_area.height, area.width, list_h);
        match &self.detail.doc {
            Some(doc) => self.json(doc, json_area, buf),
            None => {
                Paragraph::new(Span::styled("  formatting…", self.theme.dim))
                    .render(json_area, buf);
            }
        }
        self.findings(list_area, buf);
    }
}
