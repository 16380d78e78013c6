//! The Duplicates view: collided keys — data_set_id, id, count, kind, sources, first and last
//! seen — and, on `Enter`, the key's first and latest versions side by side or as a unified
//! diff of their pretty JSON, with the paths where they differ.

use super::list;
use super::text::time_of;
use super::theme::Theme;
use crate::app::analysis::duplicate_keys;
use crate::app::versions::{DiffLine, Versions};
use crate::app::App;
use crate::engine::aggregate::DuplicateKeyStats;
use crate::output::safe::{safe, safe_short};
use crate::output::thousands;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget};

pub struct DuplicatesView<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
}

/// `exact`, `conflict`, `exact+conflict`, with `id reused` when it was another event type.
pub fn kind(k: &DuplicateKeyStats) -> String {
    let mut parts = Vec::new();
    if k.exact > 0 {
        parts.push("exact");
    }
    if k.conflict > 0 {
        parts.push("conflict");
    }
    let mut s = parts.join("+");
    if k.id_reused {
        s.push_str(" (id reused)");
    }
    s
}

impl DuplicatesView<'_> {
    fn source_label(&self, i: u16) -> String {
        self.app
            .sources
            .get(i as usize)
            .map_or_else(|| format!("source {i}"), |s| safe_short(&s.label, 30))
    }

    fn list(&self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let st = &app.dups;
        let keys = duplicate_keys(&app.agg, st);
        let overflow = app.agg.duplicate_keys_overflow;
        let title = list::sorted_title(
            format!(
                "Duplicates · {} keys collided",
                thousands(keys.len() as u64)
            ),
            (st.sort.name(), st.descending),
            "enter: the versions",
            (overflow > 0).then(|| format!("({} beyond the key cap)", thousands(overflow))),
            t,
        );
        let area = list::titled(title, area, buf);
        if keys.is_empty() {
            list::empty("no duplicates so far", t.ok, area, buf);
        }
        let header = Row::new([
            "data_set_id",
            "id",
            "dups",
            "kind",
            "sources",
            "first",
            "last",
        ])
        .style(t.column);
        let pos = st.selected.as_ref().map_or(0, |(ds, id)| {
            keys.iter()
                .position(|k| k.data_set_id == *ds && k.id == *id)
                .unwrap_or(0)
        });
        let rows: Vec<Row> = keys
            .iter()
            .enumerate()
            .skip(list::first_shown(pos, area.height))
            .take(list::shown(area.height))
            .map(|(i, k)| {
                let sources: Vec<String> =
                    k.sources.iter().map(|s| self.source_label(*s)).collect();
                let row = Row::new(vec![
                    Cell::from(safe_short(&k.data_set_id, 30)),
                    Cell::from(safe_short(&k.id, 40)),
                    Cell::from(thousands(k.duplicates)),
                    Cell::from(Span::styled(kind(k), t.duplicate)),
                    Cell::from(sources.join(", ")),
                    Cell::from(time_of(k.first_seen_ms)[..8].to_owned()),
                    Cell::from(time_of(k.last_seen_ms)[..8].to_owned()),
                ]);
                list::styled(row, i == pos, t)
            })
            .collect();
        let widths = [
            Constraint::Fill(2),
            Constraint::Fill(3),
            Constraint::Length(6),
            Constraint::Length(22),
            Constraint::Fill(2),
            Constraint::Length(8),
            Constraint::Length(8),
        ];
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(area, buf);
    }

    fn describe(&self, v: &Versions) -> Vec<Line<'static>> {
        let t = self.theme;
        let first = match &v.first {
            Ok(r) => format!(
                "first: line {} of {} at {}",
                r.line,
                safe_short(&r.label, 40),
                time_of(r.received_ms)
            ),
            Err(g) => format!(
                "first: line {} of {} at {} — it has left the window; only what is known of it is shown",
                g.line,
                self.source_label(g.source),
                time_of(g.seen_ms)
            ),
        };
        let latest = v.latest.as_ref().map_or_else(
            || "latest: no duplicate of this key is left in the window".to_owned(),
            |r| {
                format!(
                    "latest: line {} of {} at {}",
                    r.line,
                    safe_short(&r.label, 40),
                    time_of(r.received_ms)
                )
            },
        );
        let mut lines = vec![
            Line::from(Span::styled(
                format!(
                    "{} · {}",
                    safe_short(&v.data_set_id, 40),
                    safe_short(&v.id, 60)
                ),
                t.title,
            )),
            Line::from(Span::styled(first, t.text)),
            Line::from(Span::styled(latest, t.text)),
        ];
        let paths = if v.identical() {
            Span::styled("the versions are identical (an exact duplicate)", t.ok)
        } else if v.paths.is_empty() {
            Span::styled("differing paths: unknown (a version is missing)", t.dim)
        } else {
            let p: Vec<String> = v.paths.iter().map(|p| safe_short(p, 80)).collect();
            Span::styled(format!("differing paths: {}", p.join(", ")), t.error)
        };
        lines.push(Line::from(paths));
        lines.push(Line::from(Span::styled(
            if v.side_by_side {
                "u: unified diff · esc: back"
            } else {
                "u: side by side · esc: back"
            },
            t.dim,
        )));
        lines
    }

    fn versions(&self, v: &Versions, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let head = self.describe(v);
        let [top, body] =
            Layout::vertical([Constraint::Length(head.len() as u16), Constraint::Fill(1)])
                .areas(area);
        Paragraph::new(head).render(top, buf);
        let (del, add) = (t.diff_del, t.diff_add);
        if v.side_by_side {
            let [left_area, right_area] =
                Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(body);
            let (mut left, mut right) = (Vec::new(), Vec::new());
            for line in &v.diff {
                match line {
                    DiffLine::Same(s) => {
                        // Both sides line up again on the lines they share.
                        let n = left.len().max(right.len());
                        left.resize(n, Line::default());
                        right.resize(n, Line::default());
                        left.push(Line::from(Span::styled(safe(s).into_owned(), t.text)));
                        right.push(Line::from(Span::styled(safe(s).into_owned(), t.text)));
                    }
                    DiffLine::First(s) => {
                        left.push(Line::from(Span::styled(safe(s).into_owned(), del)));
                    }
                    DiffLine::Latest(s) => {
                        right.push(Line::from(Span::styled(safe(s).into_owned(), add)));
                    }
                }
            }
            let scroll = u16::try_from(v.scroll).unwrap_or(u16::MAX);
            side(left, "first", left_area, scroll, buf, t.dim);
            side(right, "latest", right_area, scroll, buf, t.dim);
        } else {
            let lines: Vec<Line> = v
                .diff
                .iter()
                .map(|d| match d {
                    DiffLine::Same(s) => Line::from(Span::styled(format!("  {}", safe(s)), t.text)),
                    DiffLine::First(s) => Line::from(Span::styled(format!("- {}", safe(s)), del)),
                    DiffLine::Latest(s) => Line::from(Span::styled(format!("+ {}", safe(s)), add)),
                })
                .collect();
            Paragraph::new(lines)
                .block(
                    Block::default()
                        .borders(Borders::TOP)
                        .border_style(t.dim)
                        .title("- first  + latest"),
                )
                .scroll((u16::try_from(v.scroll).unwrap_or(u16::MAX), 0))
                .render(body, buf);
        }
    }
}

fn side(
    lines: Vec<Line<'static>>,
    title: &str,
    area: Rect,
    scroll: u16,
    buf: &mut Buffer,
    dim: Style,
) {
    Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::TOP | Borders::RIGHT)
                .border_style(dim)
                .title(title.to_owned()),
        )
        .scroll((scroll, 0))
        .render(area, buf);
}

impl Widget for DuplicatesView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        match &self.app.versions {
            Some(v) => self.versions(v, area, buf),
            None => self.list(area, buf),
        }
    }
}
