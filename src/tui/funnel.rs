//! The Funnel view: stage bars with counts, stage-to-stage ratios, invalid and duplicate shares
//! and value per currency, for every data set or the one chosen; beside them the lag histogram
//! and the match-key coverage; below, the per-data_set_id scoreboard, sortable by any column.

use super::list;
use super::text::time_of;
use super::theme::Theme;
use crate::app::analysis::{self, scoreboard, ScoreColumn};
use crate::app::App;
use crate::engine::aggregate::{StageStats, LAG_LABELS};
use crate::engine::facts::MatchKey;
use crate::fasthash::FastMap;
use crate::output::safe::safe_short;
use crate::output::{pct as percent, thousands};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Widget};

pub struct FunnelView<'a> {
    pub app: &'a App,
    pub theme: &'a Theme,
}

const STAGES: [&str; 5] = ["upper", "mid", "lower", "custom", "unknown"];

/// What the top panels show: one data set's numbers, or everything's.
struct Numbers<'a> {
    by_stage: &'a [StageStats; 5],
    lag: &'a [u64; 10],
    coverage: &'a [u64; 9],
    events: u64,
    value: FastMap<String, f64>,
}

fn numbers(app: &App) -> (Numbers<'_>, Option<&str>) {
    let a = &app.agg;
    if let Some((name, d)) = app
        .funnel
        .chosen
        .as_ref()
        .and_then(|c| a.data_sets.get_key_value(c))
    {
        let n = Numbers {
            by_stage: &d.by_stage,
            lag: &d.lag,
            coverage: &d.coverage,
            events: d.events,
            value: d.value_by_currency(),
        };
        return (n, Some(name.as_str()));
    }
    let value = a
        .value_by_currency
        .iter()
        .map(|(c, (v, _))| (c.clone(), *v))
        .collect();
    let n = Numbers {
        by_stage: &a.by_stage,
        lag: &a.lag,
        coverage: &a.coverage,
        events: a.events,
        value,
    };
    (n, None)
}

/// `1,234.56 USD · 99.00 EUR`, largest first, at most `n` currencies.
pub fn values(map: &FastMap<String, f64>, n: usize) -> String {
    let mut v: Vec<(&String, &f64)> = map.iter().collect();
    v.sort_by(|a, b| {
        b.1.partial_cmp(a.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.0.cmp(b.0))
    });
    let mut parts: Vec<String> = v
        .iter()
        .take(n)
        .map(|(c, s)| format!("{} {}", money(**s), safe_short(c, 4)))
        .collect();
    if v.len() > n {
        parts.push(format!("+{} more", v.len() - n));
    }
    parts.join(" · ")
}

/// A value sum as the JSON report rounds it to cents; an overflowed sum says so.
/// A value sum to the cent with thousands separators (`28,122,402.00`), as the JSON report
/// rounds it; an overflowed sum says so.
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return "overflow".to_owned();
    }
    let text = format!("{:.2}", v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let grouped = match int.parse::<u64>() {
        Ok(n) if int.len() <= 19 => thousands(n),
        _ => int.to_owned(),
    };
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{grouped}.{frac}")
}

fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        "n/a".to_owned()
    } else {
        format!("{:.1}%", percent(n, of))
    }
}

impl FunnelView<'_> {
    fn stages(&self, n: &Numbers, title: &str, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let block = Block::default().borders(Borders::RIGHT).border_style(t.dim);
        let inner = block.inner(area);
        block.render(area, buf);
        let max = n
            .by_stage
            .iter()
            .map(|s| s.events)
            .max()
            .unwrap_or(0)
            .max(1);
        // Fixed parts of a stage line take 64 columns; the bar gets the rest.
        let bar_w = (inner.width as usize).saturating_sub(64).min(30);
        let mut lines = vec![Line::from(Span::styled(title.to_owned(), t.title))];
        for (i, st) in n.by_stage.iter().enumerate() {
            if i == 4 && st.events == 0 {
                continue;
            }
            let len = (st.events as usize * bar_w).div_ceil(max as usize);
            let ratio = match i {
                1 | 2 => {
                    let prev = n.by_stage[i - 1].events;
                    format!("{:>7} of {}", pct(st.events, prev), STAGES[i - 1])
                }
                _ => String::new(),
            };
            let ratio = format!("{ratio:<16}");
            lines.push(Line::from(vec![
                Span::styled(format!("{:<8}", STAGES[i]), t.label),
                Span::styled(format!("{:<bar_w$}", "█".repeat(len)), t.sparkline),
                Span::styled(format!(" {:>9}", thousands(st.events)), t.header),
                Span::styled(format!(" {ratio}"), t.dim),
                Span::styled(
                    format!("  invalid {:>6}", pct(st.errors, st.events)),
                    t.error,
                ),
                Span::styled(
                    format!("  dup {:>6}", pct(st.duplicates, st.events)),
                    t.duplicate,
                ),
            ]));
        }
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled("value    ", t.label),
            Span::styled(
                if n.value.is_empty() {
                    "none".to_owned()
                } else {
                    values(&n.value, 3)
                },
                t.text,
            ),
        ]));
        for (i, st) in n.by_stage.iter().enumerate().take(4) {
            if !st.value.is_empty() {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<7}", STAGES[i]), t.label),
                    Span::styled(values(&st.value, 3), t.dim),
                ]));
            }
        }
        Paragraph::new(lines).render(inner, buf);
    }

    fn lag(&self, n: &Numbers, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let block = Block::default().borders(Borders::RIGHT).border_style(t.dim);
        let inner = block.inner(area);
        block.render(area, buf);
        let max = n.lag.iter().copied().max().unwrap_or(0).max(1);
        let bar_w = (inner.width as usize).saturating_sub(18).min(30);
        let mut lines = vec![Line::from(Span::styled(
            "lag: timestamp → arrival",
            t.title,
        ))];
        for (label, v) in LAG_LABELS.iter().zip(n.lag) {
            let len = (*v as usize * bar_w).div_ceil(max as usize);
            lines.push(Line::from(vec![
                Span::styled(format!("{label:>6} "), t.label),
                Span::styled(format!("{:<bar_w$}", "█".repeat(len)), t.sparkline),
                Span::styled(format!(" {:>9}", thousands(*v)), t.header),
            ]));
        }
        Paragraph::new(lines).render(inner, buf);
    }

    fn coverage(&self, n: &Numbers, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut lines = vec![Line::from(Span::styled("identifiers carried", t.title))];
        let bar_w = (area.width as usize).saturating_sub(23).min(20);
        for (k, c) in MatchKey::ALL.iter().zip(n.coverage) {
            let share = percent(*c, n.events);
            let len = ((share / 100.0) * bar_w as f64).round() as usize;
            lines.push(Line::from(vec![
                Span::styled(format!("{:<14}", k.name()), t.label),
                Span::styled(format!("{:<bar_w$}", "█".repeat(len)), t.sparkline),
                Span::styled(format!(" {:>6}", pct(*c, n.events)), t.header),
            ]));
        }
        Paragraph::new(lines).render(area, buf);
    }

    fn scoreboard(&self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let st = &app.funnel;
        let now_s = app.now_ms.div_euclid(1000);
        let arrow = if st.descending { "▼" } else { "▲" };
        // Narrow terminals drop the rate and the identifier columns before the name shrinks.
        let wide = area.width >= 110;
        let shown =
            |c: &ScoreColumn| wide || !matches!(c, ScoreColumn::Rate | ScoreColumn::Coverage);
        let header = Row::new(ScoreColumn::ALL.iter().filter(|c| shown(c)).map(|c| {
            let title = c.title();
            if *c == st.sort {
                Cell::from(Span::styled(format!("{title}{arrow}"), t.key))
            } else {
                Cell::from(title)
            }
        }))
        .style(t.column);
        let a = &app.agg;
        let in_sets: u64 = a.data_sets.values().map(|d| d.events).sum();
        let without = a.events.saturating_sub(in_sets + a.data_sets_overflow);
        let mut title = vec![Span::styled(
            format!(
                "Scoreboard · {} data sets",
                thousands(a.data_sets.len() as u64)
            ),
            t.title,
        )];
        if a.data_sets_overflow > 0 {
            title.push(Span::styled(
                format!(
                    "  {} events of data sets beyond the {}-data-set cap are not listed",
                    thousands(a.data_sets_overflow),
                    thousands(crate::engine::aggregate::MAX_DATA_SETS as u64)
                ),
                t.warning,
            ));
        }
        if without > 0 {
            title.push(Span::styled(
                format!("  {} events without a data_set_id", thousands(without)),
                t.dim,
            ));
        }
        let area = list::titled(Line::from(title), area, buf);
        let board = scoreboard(&app.agg, st, app.now_ms);
        let pos = analysis::position_of(board.iter().map(|(k, _)| *k), st.selected.as_ref());
        let rows: Vec<Row> = board
            .iter()
            .enumerate()
            .skip(list::first_shown(pos, area.height))
            .take(list::shown(area.height))
            .map(|(i, (name, d))| {
                let chosen = st.chosen.as_deref() == Some(name.as_str());
                let best = MatchKey::ALL
                    .iter()
                    .zip(d.coverage)
                    .filter(|(_, c)| *c > 0)
                    .rev()
                    .max_by_key(|(_, c)| *c)
                    .map_or("none".to_owned(), |(k, c)| {
                        format!("{} {}", k.name(), pct(c, d.events))
                    });
                let mut cells = vec![
                    Cell::from(format!(
                        "{}{}",
                        if chosen { "● " } else { "" },
                        safe_short(name, 40)
                    )),
                    Cell::from(thousands(d.events)),
                    Cell::from(format!("{:.1}", d.recent.rate(now_s, 60))),
                    Cell::from(Span::styled(pct(d.errors, d.events), t.error)),
                    Cell::from(Span::styled(pct(d.warnings, d.events), t.warning)),
                    Cell::from(Span::styled(pct(d.duplicates, d.events), t.duplicate)),
                    Cell::from(time_of(d.last_seen_ms)[..8].to_owned()),
                    Cell::from(best),
                ];
                if !wide {
                    cells.remove(7);
                    cells.remove(2);
                }
                let row = Row::new(cells);
                list::styled(row, i == pos, t)
            })
            .collect();
        let mut widths = vec![
            Constraint::Fill(3),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(9),
            Constraint::Length(20),
        ];
        if !wide {
            widths.remove(7);
            widths.remove(2);
        }
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .render(area, buf);
        if board.is_empty() {
            list::empty("no data_set_id seen yet", t.dim, area, buf);
        }
    }
}

impl Widget for FunnelView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (n, chosen) = numbers(self.app);
        let title = match chosen {
            Some(ds) => format!("Funnel · {} (esc: all data sets)", safe_short(ds, 40)),
            None => "Funnel · all data sets (enter on a row below: one of them)".to_owned(),
        };
        // Wide: funnel, lag and identifiers side by side. Narrower: the funnel on its own
        // row, lag and identifiers under it, so that no number is cut.
        let (left, mid, right, bottom) = if area.width >= 140 {
            let [top, bottom] =
                Layout::vertical([Constraint::Length(12), Constraint::Fill(1)]).areas(area);
            let [l, m, r] = Layout::horizontal([
                Constraint::Percentage(52),
                Constraint::Percentage(24),
                Constraint::Percentage(24),
            ])
            .areas(top);
            (l, m, r, bottom)
        } else if area.height < 30 {
            // Narrow and short: the funnel and the scoreboard; lag and identifiers need room.
            let [top, bottom] =
                Layout::vertical([Constraint::Length(12), Constraint::Fill(1)]).areas(area);
            let title = format!("{title} · lag and identifiers: 140 columns or 30 rows");
            self.stages(&n, &title, top, buf);
            self.scoreboard(bottom, buf);
            return;
        } else {
            let [top, below, bottom] = Layout::vertical([
                Constraint::Length(12),
                Constraint::Length(11),
                Constraint::Fill(1),
            ])
            .areas(area);
            let [m, r] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(below);
            (top, m, r, bottom)
        };
        self.stages(&n, &title, left, buf);
        self.lag(&n, mid, buf);
        self.coverage(
            &n,
            Rect {
                x: right.x + 1,
                width: right.width.saturating_sub(1),
                ..right
            },
            buf,
        );
        self.scoreboard(bottom, buf);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_groups_thousands() {
        assert_eq!(super::money(28_122_402.0), "28,122,402.00");
        assert_eq!(super::money(-1234.5), "-1,234.50");
        assert_eq!(super::money(0.0), "0.00");
        assert_eq!(super::money(f64::INFINITY), "overflow");
        assert_eq!(super::money(1e300).len(), 304, "huge sums are not grouped");
    }
}
