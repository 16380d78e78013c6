//! The Replay view (every send: time, event, status, latency, attempts, verdict, the answer;
//! Enter for the whole exchange), the confirmation asked before a replay, and the lines an
//! event's Detail shows of its replays (received → valid → accepted).

use super::list::{first_shown, shown, styled, titled};
use super::live::status_text;
use super::text::time_of;
use super::theme::Theme;
use crate::app::replay::{Confirm, Send, SendState};
use crate::app::App;
use crate::output::safe::{safe, safe_short};
use crate::replay::answer::Verdict;
use crate::replay::prepare::Ids;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget, Wrap};
use std::fmt::Write as _;

fn ms(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The send's outcome in a few words, and its style.
fn outcome(s: &Send, t: &Theme) -> (String, Style) {
    let SendState::Done(x) = &s.state else {
        return ("sending…".into(), t.dim);
    };
    match x.verdicts.first() {
        Some(Verdict::Accepted { duplicate: false }) => ("accepted".into(), t.ok),
        Some(Verdict::Accepted { duplicate: true }) => {
            ("accepted, merged as a duplicate".into(), t.duplicate)
        }
        Some(Verdict::Rejected { status, reason }) => (
            format!("rejected {status}: {}", safe_short(reason, 60)),
            t.error,
        ),
        Some(Verdict::Failed(why)) => (format!("failed: {}", safe_short(why, 60)), t.error),
        None => ("no event".into(), t.dim),
    }
}

fn status_of(s: &Send) -> String {
    match &s.state {
        SendState::Pending => "…".into(),
        SendState::Done(x) => x.status().map_or_else(|| "—".into(), |s| s.to_string()),
    }
}

pub struct ReplayView<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
}

impl Widget for ReplayView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let log = &app.replays;
        if let Some(send) = log.open.and_then(|n| log.get(n)) {
            return Exchange {
                app,
                send,
                theme: t,
            }
            .render(area, buf);
        }
        let pending = log
            .sends
            .iter()
            .filter(|s| matches!(s.state, SendState::Pending))
            .count();
        let target = match (&app.setup.replay.target, &app.setup.replay.refusal) {
            (_, Some(r)) => Span::styled(safe_short(r.lines().next().unwrap_or(""), 120), t.error),
            (Some(u), None) => Span::styled(safe_short(u, 80), t.text),
            (None, None) => Span::styled("no target", t.dim),
        };
        let ids = match log.ids {
            Ids::Keep => "ids kept",
            Ids::Fresh => "fresh ids",
        };
        let title = Line::from(vec![
            Span::styled(" Replay → ", t.label),
            target,
            Span::styled(
                format!(
                    "  ·  {ids}  ·  {} sends, {pending} in flight",
                    log.sends.len()
                ),
                t.dim,
            ),
        ]);
        let body = titled(title, area, buf);
        let header = Row::new([
            "#", "time", "event", "id", "status", "latency", "tries", "result", "answer",
        ])
        .style(t.column);
        let pos = log
            .cursor
            .and_then(|c| log.sends.iter().position(|s| s.n == c))
            .unwrap_or(log.sends.len().saturating_sub(1));
        let from = first_shown(pos, body.height);
        let rows: Vec<Row> = log
            .sends
            .iter()
            .enumerate()
            .skip(from)
            .take(shown(body.height))
            .map(|(i, s)| {
                let (what, style) = outcome(s, t);
                let (latency, tries, answer) = match &s.state {
                    SendState::Done(x) => (
                        ms(x.latency()),
                        x.attempts.len().to_string(),
                        safe_short(&x.response.replace(['\n', '\r'], " "), 200),
                    ),
                    SendState::Pending => (String::new(), String::new(), String::new()),
                };
                let edited = if s.item.edited { " (edited)" } else { "" };
                let row = Row::new(vec![
                    Cell::from(s.n.to_string()),
                    Cell::from(time_of(s.started_ms)),
                    Cell::from(format!("#{}{edited}", s.item.seq)),
                    Cell::from(sent_id(s)),
                    Cell::from(status_of(s)),
                    Cell::from(latency),
                    Cell::from(tries),
                    Cell::from(Span::styled(what, style)),
                    Cell::from(Span::styled(answer, t.dim)),
                ]);
                styled(row, i == pos, t)
            })
            .collect();
        let widths = [
            Constraint::Length(5),
            Constraint::Length(12),
            Constraint::Length(16),
            Constraint::Length(18),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(5),
            Constraint::Length(34),
            Constraint::Fill(1),
        ];
        Widget::render(Table::new(rows, widths).header(header), body, buf);
        if log.sends.is_empty() {
            let note = "nothing replayed yet: r on an event (Live, Detail, Duplicates) sends it";
            super::list::empty(note, t.dim, body, buf);
        }
    }
}

fn sent_id(s: &Send) -> String {
    let id = match &s.state {
        SendState::Done(x) => x.id.clone(),
        SendState::Pending => None,
    };
    safe_short(id.as_deref().unwrap_or(""), 18)
}

/// One exchange, whole: what was sent, every attempt, the verdict and the answer.
struct Exchange<'a> {
    app: &'a App,
    send: &'a Send,
    theme: &'a Theme,
}

impl Widget for Exchange<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (s, t) = (self.send, self.theme);
        let target = self.app.setup.replay.target.as_deref().unwrap_or("");
        let (what, style) = outcome(s, t);
        let mut lines = vec![
            Line::from(vec![
                Span::styled(format!(" send #{} ", s.n), t.title),
                Span::styled(
                    format!(
                        "  {} UTC  POST {}  event #{} (line {} of {})",
                        time_of(s.started_ms),
                        safe_short(target, 80),
                        s.item.seq,
                        s.item.line,
                        safe_short(&s.item.label, 60)
                    ),
                    t.text,
                ),
            ]),
            Line::from(Span::styled(format!(" {what}"), style)),
            Line::from(Span::styled(" sent", t.label)),
        ];
        let body = match &s.state {
            SendState::Done(x) => &x.body[..],
            SendState::Pending => &s.item.raw,
        };
        lines.push(Line::from(Span::styled(
            format!("   {}", safe(&String::from_utf8_lossy(body))),
            t.text,
        )));
        if let SendState::Done(x) = &s.state {
            lines.push(Line::from(Span::styled(" attempts", t.label)));
            for (i, a) in x.attempts.iter().enumerate() {
                let mut text = format!(
                    "   {}. {} in {}",
                    i + 1,
                    a.status
                        .map_or_else(|| "no answer".into(), |s| s.to_string()),
                    ms(a.latency)
                );
                if let Some(e) = &a.error {
                    let _ = write!(text, " — {}", safe_short(e, 120));
                }
                if let Some(r) = a.retry_after {
                    let _ = write!(text, ", Retry-After {}s", r.as_secs());
                }
                if let Some(w) = a.waited {
                    let _ = write!(text, ", waited {}", ms(w));
                }
                lines.push(Line::from(Span::styled(text, t.text)));
            }
            lines.push(Line::from(Span::styled(" answer", t.label)));
            for l in x.response.lines() {
                lines.push(Line::from(Span::styled(format!("   {}", safe(l)), t.text)));
            }
        }
        let scroll = u16::try_from(self.app.replays.scroll).unwrap_or(u16::MAX);
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .render(area, buf);
    }
}

/// The Detail's lines for an event's replays: received → valid → the receiver's verdict.
pub fn detail_lines(
    app: &App,
    seq: u64,
    status: crate::engine::report::Status,
    t: &Theme,
) -> Vec<Line<'static>> {
    let sends: Vec<&Send> = app.replays.of_event(seq).collect();
    sends
        .iter()
        .skip(sends.len().saturating_sub(3))
        .map(|s| {
            let (what, style) = outcome(s, t);
            let mut spans = vec![
                Span::styled(format!("replay #{} → received → ", s.n), t.label),
                Span::styled(status_text(status), t.status(status)),
                Span::styled(" → ", t.label),
                Span::styled(what, style),
            ];
            if let SendState::Done(x) = &s.state {
                spans.push(Span::styled(
                    format!("  ({}, {} attempts)", ms(x.latency()), x.attempts.len()),
                    t.dim,
                ));
            }
            Line::from(spans)
        })
        .collect()
}

/// The question asked before a replay: how many, to where, which are invalid, and an edited
/// payload's findings.
pub struct ConfirmView<'a> {
    pub app: &'a App,
    pub confirm: &'a Confirm,
    pub theme: &'a Theme,
}

impl Widget for ConfirmView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (c, t) = (self.confirm, self.theme);
        let n = c.items.len();
        let target = self.app.setup.replay.target.as_deref().unwrap_or("");
        let ids = match self.app.replays.ids {
            Ids::Keep => "each keeping its id",
            Ids::Fresh => "each with a fresh id",
        };
        let mut lines = vec![Line::from(Span::styled(
            format!(
                "Replay {n} event{} to {}, {ids}?",
                if n == 1 { "" } else { "s" },
                safe_short(target, 60)
            ),
            t.text,
        ))];
        if c.invalid > 0 {
            lines.push(Line::from(Span::styled(
                format!("{} of them have errors as they will be sent.", c.invalid),
                t.error,
            )));
        }
        if let Some((status, findings)) = &c.edited {
            lines.push(Line::from(vec![
                Span::styled("The edited event is ", t.text),
                Span::styled(status_text(*status), t.status(*status)),
                Span::styled(format!(" ({} findings)", findings.len()), t.text),
            ]));
            for f in findings.iter().take(8) {
                lines.push(Line::from(Span::styled(
                    format!(
                        "  {} {} at {}: {}",
                        f.severity().name(),
                        f.code.name(),
                        safe_short(&f.path, 40),
                        safe_short(&f.message.text(), 80)
                    ),
                    t.severity(f.severity()),
                )));
            }
        }
        lines.push(Line::default());
        lines.push(Line::from(Span::styled("enter send · esc cancel", t.hint)));
        let height = lines.len() as u16 + 2;
        let inner = super::views::popup(area, 90, height, "replay", buf, t);
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .render(inner, buf);
    }
}
