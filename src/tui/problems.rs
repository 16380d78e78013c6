//! The Problems view: findings grouped by code and path — severity, count, share of events,
//! first and last seen, an example value, and a sparkline of the last minute — sortable by
//! count, severity or recency. `Enter` lists the events that carry the group.

use super::list;
use super::text::{sparkline, time_of};
use super::theme::Theme;
use crate::app::analysis::problem_groups;
use crate::app::App;
use crate::output::safe::safe_short;
use crate::output::{pct as percent, thousands};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, Widget};

pub struct ProblemsView<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
}

impl Widget for ProblemsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let st = &app.problems;
        let a = &app.agg;
        let groups = problem_groups(a, st);
        let title = list::sorted_title(
            format!(
                "Problems · {} groups of findings by code and path",
                thousands(groups.len() as u64)
            ),
            (st.sort.name(), st.descending),
            "enter: the events",
            (a.groups_overflow > 0).then(|| {
                format!(
                    "({} findings beyond the group cap)",
                    thousands(a.groups_overflow)
                )
            }),
            t,
        );
        let table_area = list::titled(title, area, buf);
        if groups.is_empty() {
            list::empty("no findings so far", t.ok, table_area, buf);
        }
        // Columns by width: the sparkline narrows, then first and last seen and the sparkline go,
        // so that code and path always keep room.
        let spark = match area.width {
            140.. => 30,
            110..140 => 15,
            _ => 0,
        };
        let keep = |i: usize| spark > 0 || !matches!(i, 5 | 6 | 8);
        let titles = [
            "sev", "code", "path", "count", "share", "first", "last", "example",
        ];
        let spark_title = format!("last {spark} s");
        let header = Row::new(
            titles
                .iter()
                .copied()
                .chain([spark_title.as_str()])
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, h)| h.to_owned()),
        )
        .style(t.column);
        let now_s = app.now_ms.div_euclid(1000);
        let pos = st.selected.as_ref().map_or(0, |(code, path)| {
            groups
                .iter()
                .position(|g| g.code == *code && g.path == *path)
                .unwrap_or(0)
        });
        let rows: Vec<Row> = groups
            .iter()
            .enumerate()
            .skip(list::first_shown(pos, table_area.height))
            .take(list::shown(table_area.height))
            .map(|(i, g)| {
                let cells = vec![
                    Cell::from(Span::styled(g.severity.name(), t.severity(g.severity))),
                    Cell::from(g.code.name()),
                    Cell::from(safe_short(&g.path, 60)),
                    Cell::from(thousands(g.count)),
                    Cell::from(format!("{:.1}%", percent(g.count, a.events))),
                    Cell::from(time_of(g.first_seen_ms)[..8].to_owned()),
                    Cell::from(time_of(g.last_seen_ms)[..8].to_owned()),
                    Cell::from(Span::styled(
                        g.example_value
                            .as_deref()
                            .map_or_else(|| "(missing)".to_owned(), |v| safe_short(v, 40)),
                        t.dim,
                    )),
                    Cell::from(Span::styled(
                        sparkline(&g.recent.series(now_s)[60 - spark.max(1)..]),
                        t.sparkline,
                    )),
                ];
                let row = Row::new(
                    cells
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| keep(*i))
                        .map(|(_, c)| c),
                );
                list::styled(row, i == pos, t)
            })
            .collect();
        let widths: Vec<Constraint> = [
            Constraint::Length(7),
            Constraint::Length(26),
            Constraint::Fill(3),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Fill(2),
            Constraint::Length(spark as u16),
        ]
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, w)| w)
        .collect();
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(table_area, buf);
    }
}
