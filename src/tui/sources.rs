//! The Sources view: every source's state and counters, the capture, and how to send events
//! to the embedded endpoint.

use super::theme::Theme;
use crate::app::App;
use crate::ingest::status::{PartitionView, SourceState};
use crate::output::safe::{safe, safe_short};
use crate::output::thousands;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget, Wrap};

pub struct SourcesView<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
}

fn state_style(state: &SourceState, t: &Theme) -> Style {
    match state {
        SourceState::Failed(_) => t.error,
        SourceState::Reconnecting { .. }
        | SourceState::Waiting(_)
        | SourceState::Starting
        | SourceState::Rebalancing => t.warning,
        SourceState::Ended => t.dim,
        SourceState::Connected | SourceState::Listening(_) | SourceState::Assigned(_) => t.ok,
    }
}

fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

/// Partitions listed for the selected source; the rest are summed in one line.
const LISTED_PARTITIONS: usize = 12;

fn offset(o: Option<i64>) -> String {
    o.map_or_else(|| "–".into(), |o| thousands(u64::try_from(o).unwrap_or(0)))
}

/// A Kafka source's assigned partitions: position, committed offset, high watermark and lag
/// (high watermark minus position), with the total lag first (from librdkafka's statistics,
/// once a second). Rows fit 80 columns; a long topic name is shortened, never the partition.
fn partition_lines<'a>(parts: &[PartitionView], t: &Theme) -> Vec<Line<'a>> {
    if parts.is_empty() {
        return Vec::new();
    }
    let total: i64 = parts.iter().filter_map(|p| p.lag).map(|l| l.max(0)).sum();
    let unknown = parts.iter().filter(|p| p.lag.is_none()).count();
    let not_known = if unknown > 0 {
        format!(" ({unknown} not known yet)")
    } else {
        String::new()
    };
    let summary = format!(
        "{} assigned, lag {} in all{not_known}",
        parts.len(),
        thousands(u64::try_from(total).unwrap_or(0))
    );
    let mut lines = vec![Line::from(vec![
        Span::styled("partitions: ", t.label),
        Span::styled(summary, t.text),
    ])];
    lines.push(Line::from(Span::styled(
        format!(
            "  {:<24} {:>12} {:>12} {:>12} {:>12}",
            "partition", "position", "committed", "high mark", "lag"
        ),
        t.column,
    )));
    for p in parts.iter().take(LISTED_PARTITIONS) {
        let index = format!("[{}]", p.partition);
        let topic = safe_short(&p.topic, 24usize.saturating_sub(index.len()));
        let name = format!("{topic}{index}");
        let lag_style = if p.lag.unwrap_or(0) > 0 {
            t.warning
        } else {
            t.ok
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "  {name:<24} {:>12} {:>12} {:>12} ",
                    offset(p.position),
                    offset(p.committed),
                    offset(p.high_watermark)
                ),
                t.text,
            ),
            Span::styled(format!("{:>12}", offset(p.lag)), lag_style),
        ]));
    }
    if parts.len() > LISTED_PARTITIONS {
        lines.push(Line::from(Span::styled(
            format!("  … {} more partitions", parts.len() - LISTED_PARTITIONS),
            t.dim,
        )));
    }
    lines
}

impl Widget for SourcesView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let header = Row::new([
            "source",
            "state",
            "records",
            "bytes",
            "malformed",
            "dropped",
            "conns",
            "last error",
        ])
        .style(t.column);
        let rows: Vec<Row> = app
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let style = if i == app.source_cursor {
                    t.selected
                } else {
                    t.text
                };
                Row::new(vec![
                    Cell::from(safe_short(&s.label, 60)),
                    Cell::from(Span::styled(
                        safe_short(&s.state.describe(), 80),
                        state_style(&s.state, t),
                    )),
                    Cell::from(thousands(s.records)),
                    Cell::from(bytes(s.bytes)),
                    Cell::from(thousands(s.malformed)),
                    Cell::from(thousands(s.dropped)),
                    Cell::from(thousands(s.connections)),
                    Cell::from(Span::styled(
                        s.last_error
                            .as_deref()
                            .map_or(String::new(), |e| safe_short(e, 80)),
                        t.error,
                    )),
                ])
                .style(style)
            })
            .collect();
        let table_h = (rows.len() as u16 + 1).min(area.height);
        let widths = [
            Constraint::Fill(3),
            Constraint::Fill(3),
            Constraint::Length(10),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Length(6),
            Constraint::Fill(3),
        ];
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(
                Rect {
                    height: table_h,
                    ..area
                },
                buf,
            );
        let mut lines = vec![Line::default()];
        if let Some(s) = app.sources.get(app.source_cursor) {
            lines.push(Line::from(vec![
                Span::styled(format!("{}: ", safe(&s.label)), t.label),
                Span::styled(
                    safe(&s.state.describe()).into_owned(),
                    state_style(&s.state, t),
                ),
            ]));
            if !s.refused.is_empty() {
                let parts: Vec<String> = s
                    .refused
                    .iter()
                    .map(|(code, n)| format!("{code} ×{}", thousands(*n)))
                    .collect();
                lines.push(Line::from(Span::styled(
                    format!("requests answered other than 200: {}", parts.join(", ")),
                    t.warning,
                )));
            }
            if let Some(e) = &s.last_error {
                lines.push(Line::from(Span::styled(
                    format!("last error: {}", safe(e)),
                    t.error,
                )));
            }
            lines.extend(partition_lines(&s.partitions, t));
        }
        lines.push(Line::default());
        let capture = match (&app.setup.capture, &app.setup.capture_problem) {
            (_, Some(p)) => Span::styled(safe(p).into_owned(), t.error),
            (Some(path), None) => Span::styled(
                format!("writing every record to {} (mode 0600)", safe(path)),
                t.ok,
            ),
            (None, None) => Span::styled(
                "off: events leave memory when the window is full (--capture FILE keeps them all)",
                t.dim,
            ),
        };
        lines.push(Line::from(vec![
            Span::styled("capture: ", t.label),
            capture,
        ]));
        lines.push(Line::from(vec![
            Span::styled("display: ", t.label),
            Span::styled(
                format!(
                    "{} events received, {} dropped by the display (counted by the engine)",
                    thousands(app.received),
                    thousands(app.dropped)
                ),
                t.text,
            ),
        ]));
        if let Some(curl) = &app.setup.curl {
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(
                "Send an event to the endpoint:",
                t.label,
            )));
            for l in curl.lines() {
                lines.push(Line::from(Span::styled(l.to_owned(), t.key)));
            }
        }
        let rest = Rect {
            y: area.y + table_h,
            height: area.height - table_h,
            ..area
        };
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render(rest, buf);
    }
}
