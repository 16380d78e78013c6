//! The frame: header, the current view's body, the status line and the key hints. Each part is
//! a widget borrowing the app and the theme; drawing only reads.

use super::detail::DetailView;
use super::live::LiveView;
use super::sources::SourcesView;
use super::text::{clock, sparkline};
use super::theme::Theme;
use crate::app::keymap::Action;
use crate::app::layout::{self, too_small};
use crate::app::{App, Mode, View};
use crate::ingest::status::SourceState;
use crate::output::{safe::safe_short, thousands};
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};
use ratatui::Frame;

/// Draws the whole frame.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    if too_small(area) {
        let text = format!(
            "Terminal too small: {}×{}; ecapi-scope needs at least {}×{}.",
            area.width,
            area.height,
            layout::MIN_WIDTH,
            layout::MIN_HEIGHT
        );
        Paragraph::new(text)
            .style(theme.banner)
            .wrap(Wrap { trim: true })
            .render(area, buf);
        return;
    }
    let a = layout::areas(area);
    Header { app, theme }.render(a.header, buf);
    match (app.view, &app.detail) {
        (View::Live, Some(d)) => DetailView {
            app,
            detail: d,
            theme,
        }
        .render(a.body, buf),
        (View::Live, None) => LiveView { app, theme }.render(a.body, buf),
        (View::Funnel, _) => super::funnel::FunnelView { app, theme }.render(a.body, buf),
        (View::Problems, _) => super::problems::ProblemsView { app, theme }.render(a.body, buf),
        (View::Duplicates, _) => {
            super::duplicates::DuplicatesView { app, theme }.render(a.body, buf);
        }
        (View::Replay, _) => super::replay::ReplayView { app, theme }.render(a.body, buf),
        (View::Sources, _) => SourcesView { app, theme }.render(a.body, buf),
    }
    StatusLine { app, theme }.render(a.status, buf);
    Hints { app, theme }.render(a.hints, buf);
    match &app.mode {
        Mode::Help { scroll } => super::help::Help {
            app,
            theme,
            scroll: *scroll,
        }
        .render(area, buf),
        Mode::Confirm(confirm) => super::replay::ConfirmView {
            app,
            confirm,
            theme,
        }
        .render(area, buf),
        _ => {}
    }
}

/// The embedded endpoint could not listen: what to do about it.
pub fn port_problem(app: &App) -> Option<String> {
    let addr = app.setup.embedded.as_deref()?;
    match &app.sources.first()?.state {
        SourceState::Failed(reason) => Some(format!(
            "Cannot listen on {addr}: start with --listen 127.0.0.1:PORT to use another port ({reason})"
        )),
        _ => None,
    }
}

struct Header<'a> {
    app: &'a App,
    theme: &'a Theme,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let state = match (&app.pause, app.follow) {
            (Some(_), _) => Span::styled(
                format!("❚❚ PAUSED · {} new ", thousands(app.arrived_since_pause())),
                t.warning,
            ),
            (None, true) => Span::styled("● FOLLOW ", t.ok),
            (None, false) => Span::styled("○ scroll ", t.dim),
        };
        let right = Line::from(vec![state, Span::styled(clock(app.now_ms), t.dim)]);
        let tabs = tabs(
            app,
            t,
            (area.width as usize).saturating_sub(right.width() + 1),
        );
        Paragraph::new(tabs).render(Rect { height: 1, ..area }, buf);
        Paragraph::new(right)
            .alignment(Alignment::Right)
            .render(Rect { height: 1, ..area }, buf);
        let a = &app.agg;
        let dups = a.duplicates.exact + a.duplicates.conflict;
        let series = a.rate.series(app.now_ms.div_euclid(1000));
        let rate = a.rate.rate(app.now_ms.div_euclid(1000) - 1, 10);
        let width = (area.width as usize / 4).clamp(10, 60);
        let totals = Line::from(vec![
            Span::styled(" events ", t.label),
            Span::styled(thousands(a.events), t.header),
            Span::styled("  ok ", t.label),
            Span::styled(thousands(a.by_status[0]), t.ok),
            Span::styled("  warning ", t.label),
            Span::styled(thousands(a.by_status[1]), t.warning),
            Span::styled("  error ", t.label),
            Span::styled(thousands(a.by_status[2]), t.error),
            Span::styled("  malformed ", t.label),
            Span::styled(thousands(a.by_status[3]), t.malformed),
            Span::styled("  duplicates ", t.label),
            Span::styled(thousands(dups), t.duplicate),
        ]);
        let row2 = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        Paragraph::new(totals).render(row2, buf);
        let spark = Line::from(vec![
            Span::styled(
                sparkline(&series[series.len().saturating_sub(width)..]),
                t.sparkline,
            ),
            Span::styled(format!(" {rate:.0}/s "), t.header),
        ]);
        Paragraph::new(spark)
            .alignment(Alignment::Right)
            .render(row2, buf);
        Paragraph::new(self.third_line()).render(
            Rect {
                y: area.y + 2,
                height: 1,
                ..area
            },
            buf,
        );
    }
}

impl Header<'_> {
    fn third_line(&self) -> Line<'static> {
        let (app, t) = (self.app, self.theme);
        let mut spans = vec![
            Span::styled(" window ", t.label),
            Span::styled(
                format!(
                    "last {} of {}",
                    thousands(app.window.len() as u64),
                    thousands(app.agg.events.max(app.received))
                ),
                t.text,
            ),
        ];
        if app.dropped > 0 {
            spans.push(Span::styled("  display dropped ", t.label));
            spans.push(Span::styled(thousands(app.dropped), t.warning));
        }
        spans.push(Span::styled("  sources ", t.label));
        spans.extend(source_health(app, t));
        if let Some(f) = app.window.filter() {
            spans.push(Span::styled("  filter ", t.label));
            spans.push(Span::styled(safe_short(f.text(), 40), t.input));
            spans.push(Span::styled(
                format!(" ({} match)", thousands(app.window.visible_len() as u64)),
                t.text,
            ));
        }
        if !app.marks.is_empty() {
            spans.push(Span::styled(
                format!("  {} marked", app.marks.len()),
                t.mark,
            ));
        }
        Line::from(spans)
    }
}

/// The view tabs, in `room` columns: full titles, else short ones, else numbers with only
/// the current view's title.
fn tabs(app: &App, t: &Theme, room: usize) -> Line<'static> {
    let short = |v: View| match v {
        View::Live => "Live",
        View::Funnel => "Fun",
        View::Problems => "Prob",
        View::Duplicates => "Dup",
        View::Replay => "Rep",
        View::Sources => "Src",
    };
    let forms: [&dyn Fn(View) -> String; 3] = [
        &|v| format!(" {} {} ", v.number(), v.title()),
        &|v| format!(" {} {} ", v.number(), short(v)),
        &|v| {
            if v == app.view {
                format!(" {} {} ", v.number(), v.title())
            } else {
                format!(" {} ", v.number())
            }
        },
    ];
    let mut line = Line::default();
    for (i, form) in forms.iter().enumerate() {
        let mut spans = vec![Span::styled(" ecapi-scope ", t.title)];
        for v in View::ALL {
            let style = if v == app.view { t.tab_active } else { t.tab };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(form(v), style));
        }
        line = Line::from(spans);
        if line.width() <= room || i == forms.len() - 1 {
            break;
        }
    }
    line
}

/// `2 listening · 1 failed`, coloured by state.
fn source_health(app: &App, t: &Theme) -> Vec<Span<'static>> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for s in &app.sources {
        let name = s.state.name();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    if counts.is_empty() {
        return vec![Span::styled("starting", t.dim)];
    }
    let mut out = Vec::new();
    for (i, (name, n)) in counts.into_iter().enumerate() {
        if i > 0 {
            out.push(Span::styled(" · ", t.dim));
        }
        let style = match name {
            "failed" => t.error,
            "reconnecting" | "waiting" | "starting" => t.warning,
            "ended" => t.dim,
            _ => t.ok,
        };
        out.push(Span::styled(format!("{n} {name}"), style));
    }
    out
}

struct StatusLine<'a> {
    app: &'a App,
    theme: &'a Theme,
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (app, t) = (self.app, self.theme);
        let line = match &app.mode {
            Mode::Filter(input) | Mode::Command(input) => {
                let prompt = if matches!(app.mode, Mode::Filter(_)) {
                    "/"
                } else {
                    ":"
                };
                let mut spans = vec![Span::styled(prompt, t.key)];
                let chars: Vec<char> = input.text.chars().collect();
                let (before, after): (String, String) = (
                    chars[..input.cursor.min(chars.len())].iter().collect(),
                    chars[input.cursor.min(chars.len())..].iter().collect(),
                );
                spans.push(Span::styled(safe_short(&before, 200), t.input));
                spans.push(Span::styled("▏", t.key));
                spans.push(Span::styled(safe_short(&after, 200), t.input));
                if let Some(e) = &input.error {
                    spans.push(Span::styled(
                        format!("   {}", safe_short(e, 160)),
                        t.input_error,
                    ));
                }
                Line::from(spans)
            }
            _ => match (&app.message, port_problem(app)) {
                (Some((text, _)), _) => Line::from(Span::styled(
                    format!(" {}", safe_short(text, 300)),
                    t.message,
                )),
                (None, Some(problem)) => Line::from(Span::styled(format!(" {problem}"), t.banner)),
                (None, None) => Line::default(),
            },
        };
        Paragraph::new(line).render(area, buf);
    }
}

struct Hints<'a> {
    app: &'a App,
    theme: &'a Theme,
}

impl Hints<'_> {
    fn actions(&self) -> &'static [Action] {
        use Action::{
            Back, Bottom, CopyCurl, DiffLayout, Down, Filter, FirstOccurrence, Follow, Help, Mark,
            NextError, NextFinding, NextView, Open, Pause, Quit, Replay, ReplayEdit, Reverse, Sort,
        };
        match (&self.app.mode, self.app.view, self.app.detail.is_some()) {
            (Mode::Filter(_), ..) => &[],
            (Mode::Confirm(_), ..) => &[Open, Back],
            (_, View::Live, true) => &[
                Back,
                Down,
                NextFinding,
                FirstOccurrence,
                Replay,
                ReplayEdit,
                CopyCurl,
                NextView,
                Help,
                Quit,
            ],
            (_, View::Live, false) => &[
                Open, Filter, Pause, Follow, NextError, Mark, Replay, Bottom, NextView, Help, Quit,
            ],
            (_, View::Replay, _) if self.app.replays.open.is_some() => {
                &[Back, Down, NextView, Help, Quit]
            }
            (_, View::Replay, _) => &[Open, Down, Replay, Back, NextView, Help, Quit],
            (_, View::Sources, _) => &[Down, Back, NextView, Help, Quit],
            (_, View::Duplicates, _) if self.app.versions.is_some() => {
                &[Back, Down, DiffLayout, Replay, NextView, Help, Quit]
            }
            (_, View::Funnel | View::Problems | View::Duplicates, _) => {
                &[Open, Down, Sort, Reverse, Back, NextView, Help, Quit]
            }
        }
    }
}

impl Widget for Hints<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut spans = Vec::new();
        if let Mode::Filter(_) = self.app.mode {
            spans.push(Span::styled(
                " enter apply · esc cancel · type: stage: ds: status: code: path: src: id: dup: text -negate",
                t.hint,
            ));
        }
        for a in self.actions() {
            let keys = self.app.keymap.keys_of(*a);
            if keys.is_empty() {
                continue;
            }
            spans.push(Span::styled(format!(" {keys}"), t.key));
            let what = match (a, self.app.view) {
                (Action::Open, View::Funnel) => "this data set's funnel",
                (Action::Open, View::Problems) => "the events with it",
                (Action::Open, View::Duplicates) => "the versions",
                (Action::Open, View::Replay) => "the whole exchange",
                (Action::Open, _) if matches!(self.app.mode, Mode::Confirm(_)) => "send",
                (Action::Back, _) if matches!(self.app.mode, Mode::Confirm(_)) => "cancel",
                (Action::Replay, View::Duplicates) => "replay both versions",
                (Action::Replay, View::Replay) => "send it again",
                (Action::Back, View::Funnel) if self.app.funnel.chosen.is_some() => "all data sets",
                _ => a.describe(),
            };
            spans.push(Span::styled(format!(" {what} "), t.hint));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

/// A centred box, cleared, for overlays.
pub fn popup(
    area: Rect,
    width: u16,
    height: u16,
    title: &str,
    buf: &mut Buffer,
    t: &Theme,
) -> Rect {
    let w = width.min(area.width.saturating_sub(2));
    let h = height.min(area.height.saturating_sub(2));
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(r, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), t.title))
        .border_style(t.dim);
    let inner = block.inner(r);
    block.render(r, buf);
    inner
}
