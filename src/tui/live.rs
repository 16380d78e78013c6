//! The Live view: the event table, coloured by status, with the selection and marks; before
//! the first event, how to send one.

use super::text::{money, time_of};
use super::theme::Theme;
use crate::app::row::Row as Event;
use crate::app::App;
use crate::engine::report::{DuplicateKind, Status};
use crate::ingest::status::SourceState;
use crate::output::safe::safe_short;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Widget};

pub struct LiveView<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
}

pub fn status_text(s: Status) -> &'static str {
    match s {
        Status::Ok => "✓ ok",
        Status::Warning => "! warning",
        Status::Error => "✗ error",
        Status::Malformed => "? malformed",
    }
}

fn opt(s: Option<&str>, max: usize) -> String {
    s.map_or_else(String::new, |s| safe_short(s, max))
}

impl LiveView<'_> {
    fn row(&self, ev: &Event) -> Row<'static> {
        let t = self.theme;
        let marked = self.app.marks.contains(&ev.seq);
        let dup = match ev.duplicate.as_ref().map(|d| d.kind) {
            Some(DuplicateKind::Exact) => "exact",
            Some(DuplicateKind::Conflict) => "confl",
            None => "",
        };
        let cells = vec![
            Cell::from(Span::styled(if marked { "●" } else { " " }, t.mark)),
            Cell::from(Span::styled(time_of(ev.received_ms), t.dim)),
            Cell::from(Span::styled(safe_short(&ev.label, 40), t.dim)),
            Cell::from(opt(ev.data_set_id.as_deref(), 40)),
            Cell::from(opt(ev.event_type.as_deref(), 40)),
            Cell::from(ev.stage.map_or("", |s| s.name())),
            Cell::from(opt(ev.id.as_deref(), 60)),
            Cell::from(money(ev.value, ev.currency.as_deref())),
            Cell::from(Span::styled(status_text(ev.status), t.status(ev.status))),
            Cell::from(Span::styled(dup, t.duplicate)),
        ];
        let style = if Some(ev.seq) == self.app.selected {
            t.selected
        } else {
            t.text
        };
        Row::new(cells).style(style)
    }

    fn empty(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut lines = vec![Line::default()];
        if self.app.window.filter().is_some() && self.app.received > 0 {
            lines.push(Line::from(Span::styled(
                "  No event in the window matches the filter (Esc clears it).",
                t.text,
            )));
        } else {
            lines.push(Line::from(Span::styled("  No event yet. Sources:", t.text)));
            for s in &self.app.sources {
                let style = match s.state {
                    SourceState::Failed(_) => t.error,
                    SourceState::Listening(_) | SourceState::Connected => t.ok,
                    _ => t.warning,
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("    {}: ", safe_short(&s.label, 80)), t.label),
                    Span::styled(safe_short(&s.state.describe(), 200), style),
                ]));
            }
            let listening = self
                .app
                .sources
                .first()
                .is_some_and(|s| matches!(s.state, SourceState::Listening(_)));
            if let (Some(curl), true) = (&self.app.setup.curl, listening) {
                lines.push(Line::default());
                lines.push(Line::from(Span::styled("  Send one:", t.label)));
                for l in curl.lines() {
                    lines.push(Line::from(Span::styled(format!("  {l}"), t.key)));
                }
                lines.push(Line::default());
                lines.push(Line::from(Span::styled(
                    "  or start with --demo to see synthetic traffic.",
                    t.label,
                )));
            }
        }
        // Not wrapped: a wrapped command would not paste.
        Paragraph::new(lines).render(area, buf);
    }
}

impl Widget for LiveView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        if app.limit() == 0 {
            self.empty(area, buf);
            return;
        }
        let t = self.theme;
        let rows: Vec<Row> = app
            .window
            .visible_rows(
                app.top_pos(),
                app.table_rows()
                    .min(app.limit().saturating_sub(app.top_pos())),
            )
            .map(|ev| self.row(ev))
            .collect();
        let header = Row::new([
            "",
            "time",
            "source",
            "data_set_id",
            "event_type",
            "stage",
            "id",
            "value",
            "status",
            "dup",
        ])
        .style(t.column);
        let widths = [
            Constraint::Length(1),
            Constraint::Length(12),
            Constraint::Fill(2),
            Constraint::Fill(2),
            Constraint::Fill(2),
            Constraint::Length(6),
            Constraint::Fill(3),
            Constraint::Length(14),
            Constraint::Length(11),
            Constraint::Length(5),
        ];
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(area, buf);
    }
}
