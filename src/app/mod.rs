//! The TUI's state machine: messages in (keys, mouse, rows from the hub, aggregate snapshots,
//! source states, highlighted documents, ticks), effects out (work for the runtime to do). It
//! never waits and never draws; `tui` draws what it holds. Tests drive it message by message.

pub mod analysis;
mod browse;
pub mod detail;
pub mod input;
pub mod keymap;
pub mod layout;
mod live;
pub mod replay;
pub mod row;
pub mod sink;
pub mod versions;
pub mod window;

use crate::engine::aggregate::Aggregates;
use crate::filter::Filter;
use crate::ingest::status::{Counters, PartitionView, SourceState, SourceStatus};
use detail::{Detail, Doc, DocCache};
use input::{Edit, LineInput};
use keymap::{Action, Keymap};
use ratatui::crossterm::event::{KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use row::Row;
use std::collections::BTreeSet;
use std::sync::Arc;
use window::Window;

/// The views, numbered as the keys that reach them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Live,
    Funnel,
    Problems,
    Duplicates,
    Replay,
    Sources,
}

impl View {
    /// The views that exist, in switching order.
    pub const ALL: [View; 6] = [
        View::Live,
        View::Funnel,
        View::Problems,
        View::Duplicates,
        View::Replay,
        View::Sources,
    ];

    pub fn name(self) -> &'static str {
        match self {
            View::Live => "live",
            View::Funnel => "funnel",
            View::Problems => "problems",
            View::Duplicates => "duplicates",
            View::Replay => "replay",
            View::Sources => "sources",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Live => "Live",
            View::Funnel => "Funnel",
            View::Problems => "Problems",
            View::Duplicates => "Duplicates",
            View::Replay => "Replay",
            View::Sources => "Sources",
        }
    }

    pub fn number(self) -> u8 {
        match self {
            View::Live => 1,
            View::Funnel => 2,
            View::Problems => 3,
            View::Duplicates => 4,
            View::Replay => 5,
            View::Sources => 6,
        }
    }
}

/// The Live table opened from another view (Problems' `Enter`): `Esc` goes back there and
/// puts back the filter the table had.
#[derive(Clone, Debug)]
pub struct Drill {
    pub from: View,
    pub filter: Option<Filter>,
}

/// What the keyboard is talking to.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Normal,
    Filter(LineInput),
    Command(LineInput),
    Help {
        scroll: usize,
    },
    /// A replay waiting for Enter (several events, invalid ones, or an edited payload).
    Confirm(Box<replay::Confirm>),
}

/// A source as last seen, for the header and the Sources view.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceView {
    pub label: String,
    pub state: SourceState,
    pub records: u64,
    pub bytes: u64,
    pub malformed: u64,
    pub dropped: u64,
    pub connections: u64,
    pub last_error: Option<String>,
    /// HTTP requests answered with another status than 200, by status.
    pub refused: Vec<(u16, u64)>,
    /// A Kafka source's assigned partitions, with positions and lag.
    pub partitions: Vec<PartitionView>,
}

impl SourceView {
    pub fn of(s: &SourceStatus) -> SourceView {
        let c = &s.counters;
        SourceView {
            label: s.label.clone(),
            state: s.state(),
            records: Counters::get(&c.records),
            bytes: Counters::get(&c.bytes),
            malformed: Counters::get(&c.malformed),
            dropped: Counters::get(&c.dropped),
            connections: Counters::get(&c.connections),
            last_error: s.last_error(),
            refused: s.refusals(),
            partitions: s.partitions(),
        }
    }
}

/// Things the app knows at start that never change.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    /// A `curl` line that posts a valid event to the embedded endpoint.
    pub curl: Option<String>,
    /// The embedded endpoint's address, when no source was given.
    pub embedded: Option<String>,
    pub capture: Option<String>,
    pub capture_problem: Option<String>,
    pub demo: bool,
    pub replay: ReplaySetup,
    /// The engine's settings, to validate an edited payload before it is replayed.
    pub engine: crate::engine::EngineConfig,
}

/// Where `r` sends.
#[derive(Clone, Debug, Default)]
pub struct ReplaySetup {
    /// The target as shown (a password masked).
    pub target: Option<String>,
    /// Why the target is refused (not on the allow-list); `r` says it instead of sending.
    pub refusal: Option<String>,
    /// The variable holding the token, for copied `curl` commands.
    pub token_env: Option<String>,
    /// The token is written in the config file itself (a copied command cannot name it).
    pub token_in_config: bool,
}

pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Rows(Vec<Row>),
    Aggregates(Box<Aggregates>),
    Sources(Vec<SourceView>),
    /// Events the display could not take, so far.
    Dropped(u64),
    Highlighted(u64, Arc<Doc>),
    /// A replay's exchange ended (send number, exchange).
    Replayed(u64, Box<replay::Outcome>),
    /// The editor closed on event `seq`: the payload it left, or why there is none.
    Edited {
        seq: u64,
        result: Result<Vec<u8>, String>,
    },
    /// Something to say (what a copy did).
    Say(String),
    /// The clock, unix milliseconds.
    Tick(i64),
    Quit,
}

/// Work the app asks for.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Format and highlight an event's JSON (or show a malformed record's text as it came),
    /// then send `Msg::Highlighted`.
    Highlight {
        seq: u64,
        raw: Arc<[u8]>,
        as_text: bool,
    },
    /// Send each event to the replay target, then send `Msg::Replayed` for each.
    Replay {
        sends: Vec<(u64, replay::Item)>,
        ids: crate::replay::prepare::Ids,
    },
    /// Open the payload in `$EDITOR` (the terminal suspended), then send `Msg::Edited`.
    Edit { seq: u64, raw: Arc<[u8]> },
    /// Put `text` on the clipboard (OSC 52) and in a file named after `name`.
    Copy { text: String, name: String },
}

/// A paused view: rows that arrive are held back (up to the window's size, the rest counted as
/// dropped by the display), so the rows on screen stay there until the user resumes.
#[derive(Clone, Debug, Default)]
pub struct Pause {
    pub held: std::collections::VecDeque<Row>,
    /// Rows that arrived while paused beyond what is held.
    pub overflow: u64,
}

pub struct App {
    pub setup: Setup,
    pub keymap: Keymap,
    pub view: View,
    pub mode: Mode,
    pub detail: Option<Detail>,
    pub window: Window,
    pub selected: Option<u64>,
    /// The first visible row shown in the table.
    pub top: Option<u64>,
    pub follow: bool,
    pub pause: Option<Pause>,
    pub marks: BTreeSet<u64>,
    pub agg: Box<Aggregates>,
    pub sources: Vec<SourceView>,
    pub source_cursor: usize,
    pub dropped: u64,
    /// Rows received from the hub.
    pub received: u64,
    pub now_ms: i64,
    pub size: Rect,
    /// A one-line message and when it goes away.
    pub message: Option<(String, i64)>,
    pub docs: DocCache,
    pub funnel: analysis::FunnelState,
    pub problems: analysis::ProblemsState,
    pub dups: analysis::DuplicatesState,
    /// The versions of the duplicate key opened in the Duplicates view.
    pub versions: Option<versions::Versions>,
    pub drill: Option<Drill>,
    pub replays: replay::ReplayLog,
    pub quit: bool,
    keep: usize,
    /// Rows that overflowed earlier pauses (dropped by the display).
    overflowed: u64,
}

impl App {
    pub fn new(setup: Setup, keymap: Keymap, keep: usize) -> App {
        App {
            setup,
            keymap,
            view: View::Live,
            mode: Mode::Normal,
            detail: None,
            window: Window::new(keep),
            selected: None,
            top: None,
            follow: true,
            pause: None,
            marks: BTreeSet::new(),
            agg: Box::default(),
            sources: Vec::new(),
            source_cursor: 0,
            dropped: 0,
            received: 0,
            now_ms: 0,
            size: Rect::new(0, 0, 80, 24),
            message: None,
            docs: DocCache::default(),
            funnel: analysis::FunnelState::default(),
            problems: analysis::ProblemsState::default(),
            dups: analysis::DuplicatesState::default(),
            versions: None,
            drill: None,
            replays: replay::ReplayLog::default(),
            quit: false,
            keep: keep.max(1),
            overflowed: 0,
        }
    }

    /// Applies a filter given at start (`--filter`).
    pub fn set_filter(&mut self, filter: Option<Filter>) {
        self.window.set_filter(filter);
        self.after_change();
    }

    pub fn say(&mut self, text: impl Into<String>) {
        self.message = Some((text.into(), self.now_ms + 4_000));
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        match msg {
            Msg::Key(k) if k.kind != KeyEventKind::Release => self.key(k, &mut fx),
            Msg::Key(_) => {}
            Msg::Mouse(m) => self.mouse(m),
            Msg::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                self.after_change();
            }
            Msg::Rows(rows) => self.rows(rows),
            Msg::Aggregates(agg) => self.agg = agg,
            Msg::Sources(s) => {
                self.sources = s;
                self.source_cursor = self.source_cursor.min(self.sources.len().saturating_sub(1));
            }
            Msg::Dropped(n) => {
                self.dropped = n + self.pause.as_ref().map_or(0, |p| p.overflow) + self.overflowed;
            }
            Msg::Highlighted(seq, doc) => {
                self.docs.put(seq, Arc::clone(&doc));
                if let Some(d) = self.detail.as_mut().filter(|d| d.row.seq == seq) {
                    d.doc = Some(doc);
                }
            }
            Msg::Tick(now) => {
                self.now_ms = now;
                if self
                    .message
                    .as_ref()
                    .is_some_and(|(_, until)| *until <= now)
                {
                    self.message = None;
                }
            }
            Msg::Replayed(n, x) => self.replayed(n, x),
            Msg::Edited { seq, result } => self.edited(seq, result),
            Msg::Say(text) => self.say(text),
            Msg::Quit => self.quit = true,
        }
        fx
    }

    fn rows(&mut self, rows: Vec<Row>) {
        self.received += rows.len() as u64;
        if let Some(p) = self.pause.as_mut() {
            let keep = self.keep;
            p.held.extend(rows);
            while p.held.len() > keep {
                p.held.pop_front();
                p.overflow += 1;
            }
            return;
        }
        for row in rows {
            self.window.push(row);
        }
        self.marks = self
            .marks
            .split_off(&self.window.rows().next().map_or(0, |r| r.seq));
        self.after_change();
    }

    fn key(&mut self, k: KeyEvent, fx: &mut Vec<Effect>) {
        match &mut self.mode {
            Mode::Filter(line) => {
                match line.key(&k) {
                    Edit::Editing => {
                        line.error = Filter::parse(&line.text).err().map(|e| e.to_string());
                    }
                    // A filter that does not parse stays open, with its error, to be fixed.
                    Edit::Submit(text) => match Filter::parse(&text) {
                        Ok(_) => {
                            self.mode = Mode::Normal;
                            self.apply_filter(&text);
                        }
                        Err(e) => line.error = Some(e.to_string()),
                    },
                    Edit::Cancel => self.mode = Mode::Normal,
                }
                return;
            }
            Mode::Command(line) => {
                match line.key(&k) {
                    Edit::Editing => {}
                    Edit::Submit(text) => {
                        self.mode = Mode::Normal;
                        self.command(&text);
                    }
                    Edit::Cancel => self.mode = Mode::Normal,
                }
                return;
            }
            Mode::Help { scroll } => {
                match self.keymap.action(&k) {
                    Some(Action::Down) => *scroll += 1,
                    Some(Action::Up) => *scroll = scroll.saturating_sub(1),
                    Some(Action::Quit | Action::Help | Action::Back) | None => {
                        self.mode = Mode::Normal;
                    }
                    _ => {}
                }
                return;
            }
            Mode::Confirm(_) => {
                let action = self.keymap.action(&k);
                self.confirm_key(action, fx);
                return;
            }
            Mode::Normal => {}
        }
        if let Some(action) = self.keymap.action(&k) {
            self.act(action, fx);
        }
    }

    fn act(&mut self, action: Action, fx: &mut Vec<Effect>) {
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::NextView | Action::PrevView => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                let n = View::ALL.len();
                let next = if action == Action::NextView {
                    i + 1
                } else {
                    i + n - 1
                };
                self.switch(View::ALL[next % n]);
            }
            Action::ViewLive => self.switch(View::Live),
            Action::ViewFunnel => self.switch(View::Funnel),
            Action::ViewProblems => self.switch(View::Problems),
            Action::ViewDuplicates => self.switch(View::Duplicates),
            Action::ViewSources => self.switch(View::Sources),
            Action::ViewReplay => self.switch(View::Replay),
            Action::Command => self.mode = Mode::Command(LineInput::default()),
            Action::Filter if self.view == View::Live && self.detail.is_none() => {
                let text = self.window.filter().map(|f| f.text().to_owned());
                self.mode = Mode::Filter(LineInput::with(text.unwrap_or_default()));
            }
            Action::Replay
            | Action::ReplayEdit
            | Action::ReplayFiltered
            | Action::CopyCurl
            | Action::ReplayIds => {
                self.replay_act(action, fx);
            }
            _ if self.view == View::Sources => self.sources_act(action),
            _ if self.view == View::Replay => self.replay_view_act(action),
            _ if self.view == View::Funnel => self.funnel_act(action),
            _ if self.view == View::Problems => self.problems_act(action),
            _ if self.view == View::Duplicates => self.duplicates_act(action),
            _ if self.detail.is_some() => self.detail_act(action, fx),
            _ => self.live_act(action, fx),
        }
    }

    fn switch(&mut self, view: View) {
        self.view = view;
        self.detail = None;
        self.versions = None;
    }

    fn command(&mut self, text: &str) {
        let word = text.trim().trim_start_matches(':');
        match word {
            "" => {}
            "q" | "quit" => self.quit = true,
            "help" => self.mode = Mode::Help { scroll: 0 },
            other => match View::ALL.iter().find(|v| v.name() == other) {
                Some(v) => self.switch(*v),
                None => {
                    let names = View::ALL.iter().map(|v| v.name()).chain(["help", "quit"]);
                    let hint = crate::ecapi::suggest::closest(other, names)
                        .map(|n| format!(" (did you mean :{n}?)"))
                        .unwrap_or_default();
                    self.say(format!("no view named {other:?}{hint}"));
                }
            },
        }
    }

    fn apply_filter(&mut self, text: &str) {
        match Filter::parse(text) {
            Ok(f) => {
                self.drill = None;
                self.window.set_filter(Some(f));
                self.selected = None;
                self.top = None;
                self.follow = true;
                self.after_change();
            }
            Err(e) => self.say(format!("filter not applied: {e}")),
        }
    }

    fn sources_act(&mut self, action: Action) {
        let n = self.sources.len();
        match action {
            Action::Down => self.source_cursor = (self.source_cursor + 1).min(n.saturating_sub(1)),
            Action::Up => self.source_cursor = self.source_cursor.saturating_sub(1),
            Action::Top => self.source_cursor = 0,
            Action::Bottom => self.source_cursor = n.saturating_sub(1),
            Action::Back => self.switch(View::Live),
            _ => {}
        }
    }

    fn mouse(&mut self, m: MouseEvent) {
        let down = match m.kind {
            MouseEventKind::ScrollDown => true,
            MouseEventKind::ScrollUp => false,
            MouseEventKind::Down(_) => {
                self.click(m.column, m.row);
                return;
            }
            _ => return,
        };
        let action = if down { Action::Down } else { Action::Up };
        let mut fx = Vec::new();
        for _ in 0..3 {
            self.act(action, &mut fx);
        }
    }
}
