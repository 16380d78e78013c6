//! Replay in the TUI: what `r` sends (the opened event, the marked ones, the selected one,
//! both sides of a duplicate, or with `ctrl+r` every event the filter shows), the confirmation
//! asked before sending invalid events or more than one, an edited payload validated before it
//! goes, and the log of every send that the Replay view lists. Sending itself is an effect:
//! the runtime does it with the replay library and answers with `Msg::Replayed`.

use super::keymap::Action;
use super::{App, Effect, Mode, View};
use crate::engine::report::{Finding, Status};
use crate::replay::prepare::Ids;
use crate::replay::send::Exchange;
use std::collections::VecDeque;
use std::sync::Arc;

/// Sends kept in the log; older ones are forgotten first.
pub const KEPT_SENDS: usize = 10_000;

/// An event to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub seq: u64,
    pub raw: Arc<[u8]>,
    pub label: Arc<str>,
    pub line: u64,
    pub index: Option<u32>,
    /// The payload was changed in the editor.
    pub edited: bool,
}

/// A finished send: the exchange, and the body and id that went (an id may be fresh).
#[derive(Clone, Debug)]
pub struct Outcome {
    pub exchange: Exchange,
    pub body: Vec<u8>,
    pub id: Option<String>,
}

impl std::ops::Deref for Outcome {
    type Target = Exchange;
    fn deref(&self) -> &Exchange {
        &self.exchange
    }
}

#[derive(Clone, Debug)]
pub enum SendState {
    Pending,
    Done(Box<Outcome>),
}

/// One send: an event, where it went and what came back.
#[derive(Clone, Debug)]
pub struct Send {
    pub n: u64,
    pub started_ms: i64,
    pub item: Item,
    pub ids: Ids,
    pub state: SendState,
}

/// Every send of the session, the Replay view's cursor and the exchange opened.
#[derive(Debug)]
pub struct ReplayLog {
    pub sends: VecDeque<Send>,
    pub next: u64,
    pub cursor: Option<u64>,
    pub open: Option<u64>,
    pub scroll: usize,
    pub ids: Ids,
}

impl Default for ReplayLog {
    fn default() -> Self {
        ReplayLog {
            sends: VecDeque::new(),
            next: 1,
            cursor: None,
            open: None,
            scroll: 0,
            ids: Ids::Keep,
        }
    }
}

impl ReplayLog {
    pub fn get(&self, n: u64) -> Option<&Send> {
        self.sends.get(self.index(n)?)
    }

    fn get_mut(&mut self, n: u64) -> Option<&mut Send> {
        let i = self.index(n)?;
        self.sends.get_mut(i)
    }

    /// Where send `n` is in the log (older ones may have been forgotten).
    fn index(&self, n: u64) -> Option<usize> {
        let first = self.sends.front()?.n;
        usize::try_from(n.checked_sub(first)?).ok()
    }

    /// The sends of event `seq`, oldest first.
    pub fn of_event(&self, seq: u64) -> impl Iterator<Item = &Send> + '_ {
        self.sends.iter().filter(move |s| s.item.seq == seq)
    }
}

/// What waits for Enter before it is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Confirm {
    pub items: Vec<Item>,
    /// Items whose events have errors (or do not parse) as they will be sent.
    pub invalid: usize,
    /// The edited payload's status and findings, shown before it goes.
    pub edited: Option<(Status, Vec<Finding>)>,
}

impl App {
    /// Replay keys, wherever they are pressed; false when `action` is not one.
    pub(super) fn replay_act(&mut self, action: Action, fx: &mut Vec<Effect>) -> bool {
        match action {
            Action::Replay => {
                let items = self.replay_items();
                self.ask_to_send(items, None, fx);
            }
            Action::ReplayFiltered => {
                let items: Vec<Item> = (0..self.window.visible_len())
                    .filter_map(|p| self.window.visible_at(p))
                    .filter_map(|seq| self.item(seq))
                    .collect();
                self.ask_to_send(items, None, fx);
            }
            Action::ReplayEdit => match self.replay_items().into_iter().next() {
                Some(item) => fx.push(Effect::Edit {
                    seq: item.seq,
                    raw: item.raw,
                }),
                None => self.say("no event to edit here"),
            },
            Action::CopyCurl => match self.replay_items().into_iter().next() {
                Some(item) => {
                    let url = self.setup.replay.target.as_deref().unwrap_or("");
                    let mut text = crate::replay::curl::command(
                        url,
                        self.setup.replay.token_env.as_deref(),
                        &item.raw,
                    );
                    if self.setup.replay.token_in_config {
                        text.push_str(
                            "\n# the token is in the config file's [replay] token, not here: add -H \"Authorization: Bearer …\"",
                        );
                    }
                    fx.push(Effect::Copy {
                        text,
                        name: format!("event-{}", item.seq),
                    });
                }
                None => self.say("no event to copy here"),
            },
            Action::ReplayIds => {
                self.replays.ids = match self.replays.ids {
                    Ids::Keep => Ids::Fresh,
                    Ids::Fresh => Ids::Keep,
                };
                self.say(match self.replays.ids {
                    Ids::Keep => "replays keep each event's id (the receiver deduplicates them)",
                    Ids::Fresh => "replays give each event a fresh id",
                });
            }
            _ => return false,
        }
        true
    }

    fn item(&self, seq: u64) -> Option<Item> {
        let r = self.window.get(seq)?;
        Some(Item {
            seq,
            raw: Arc::clone(&r.raw),
            label: Arc::clone(&r.label),
            line: r.line,
            index: r.index,
            edited: false,
        })
    }

    /// What `r` means where it is pressed.
    fn replay_items(&self) -> Vec<Item> {
        match self.view {
            View::Live if self.detail.is_some() => self
                .detail
                .iter()
                .filter_map(|d| self.item(d.row.seq))
                .collect(),
            View::Live if !self.marks.is_empty() => {
                self.marks.iter().filter_map(|s| self.item(*s)).collect()
            }
            View::Live => self
                .selected
                .and_then(|s| self.item(s))
                .into_iter()
                .collect(),
            View::Duplicates => {
                let Some(v) = &self.versions else {
                    return Vec::new();
                };
                let first = v.first.as_ref().ok().map(|r| r.seq);
                let latest = v.latest.as_ref().map(|r| r.seq);
                first
                    .into_iter()
                    .chain(latest)
                    .filter_map(|s| self.item(s))
                    .collect()
            }
            View::Replay => {
                let send = self.replays.cursor.and_then(|n| self.replays.get(n));
                send.map(|s| s.item.clone()).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    /// Sends at once one valid event; asks first for more, or for invalid ones.
    fn ask_to_send(
        &mut self,
        items: Vec<Item>,
        edited: Option<(Status, Vec<Finding>)>,
        fx: &mut Vec<Effect>,
    ) {
        if let Some(refusal) = &self.setup.replay.refusal {
            let text = refusal.lines().next().unwrap_or_default().to_owned();
            self.say(text);
            return;
        }
        if items.is_empty() {
            self.say(match self.view {
                View::Duplicates => "open a duplicate key (enter) to replay its versions",
                _ => "no event to replay: select one, or mark some with m",
            });
            return;
        }
        let invalid = items
            .iter()
            .filter(|i| self.invalid(i, edited.as_ref()))
            .count();
        if items.len() == 1 && invalid == 0 && edited.is_none() {
            self.send(items, fx);
            return;
        }
        self.mode = Mode::Confirm(Box::new(Confirm {
            items,
            invalid,
            edited,
        }));
    }

    fn invalid(&self, item: &Item, edited: Option<&(Status, Vec<Finding>)>) -> bool {
        let status = match edited {
            Some((s, _)) => Some(*s),
            None => self.window.get(item.seq).map(|r| r.status),
        };
        status.is_some_and(|s| matches!(s, Status::Error | Status::Malformed))
    }

    /// Enter or Esc on the confirmation.
    pub(super) fn confirm_key(&mut self, action: Option<Action>, fx: &mut Vec<Effect>) {
        let Mode::Confirm(c) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return;
        };
        match action {
            Some(Action::Open | Action::Replay) => self.send(c.items, fx),
            Some(Action::Back | Action::Quit) => self.say("not sent"),
            _ => self.mode = Mode::Confirm(c),
        }
    }

    fn send(&mut self, items: Vec<Item>, fx: &mut Vec<Effect>) {
        let mut sends = Vec::new();
        for item in items {
            let n = self.replays.next;
            self.replays.next += 1;
            self.replays.sends.push_back(Send {
                n,
                started_ms: self.now_ms,
                item: item.clone(),
                ids: self.replays.ids,
                state: SendState::Pending,
            });
            if self.replays.sends.len() > KEPT_SENDS {
                self.replays.sends.pop_front();
            }
            sends.push((n, item));
        }
        let count = sends.len();
        self.replays.cursor = sends.last().map(|(n, _)| *n);
        let target = self.setup.replay.target.clone().unwrap_or_default();
        self.say(format!(
            "replaying {count} event{} to {target} (5: the Replay view)",
            if count == 1 { "" } else { "s" }
        ));
        fx.push(Effect::Replay {
            sends,
            ids: self.replays.ids,
        });
    }

    /// An exchange ended.
    pub(super) fn replayed(&mut self, n: u64, x: Box<Outcome>) {
        if let Some(s) = self.replays.get_mut(n) {
            s.state = SendState::Done(x);
        }
    }

    /// The editor closed: validate what it left and ask before sending it.
    pub(super) fn edited(&mut self, seq: u64, result: Result<Vec<u8>, String>) {
        let text = match result {
            Ok(t) => t,
            Err(e) => return self.say(format!("not sent: {e}")),
        };
        let Some(mut item) = self.item(seq) else {
            return self.say("the event left the window while it was edited");
        };
        let mut validator = crate::engine::Validator::new(&self.setup.engine);
        let (status, _, findings) = crate::replay::prepare::validate(
            &mut validator,
            &self.setup.engine,
            &text,
            self.now_ms.div_euclid(1000),
        );
        item.raw = Arc::from(text);
        item.edited = true;
        self.ask_to_send(vec![item], Some((status, findings)), &mut Vec::new());
    }

    /// Keys in the Replay view: move over the sends, open one, re-send it with `r`.
    pub(super) fn replay_view_act(&mut self, action: Action) {
        let log = &mut self.replays;
        if log.open.is_some() {
            match action {
                Action::Down => log.scroll += 1,
                Action::Up => log.scroll = log.scroll.saturating_sub(1),
                Action::Top => log.scroll = 0,
                Action::Back => log.open = None,
                _ => {}
            }
            return;
        }
        let (Some(first), Some(last)) = (log.sends.front(), log.sends.back()) else {
            if action == Action::Back {
                self.switch(View::Live);
            }
            return;
        };
        let (first, last) = (first.n, last.n);
        let at = log.cursor.unwrap_or(last).clamp(first, last);
        let page = 10;
        log.cursor = Some(match action {
            Action::Down => (at + 1).min(last),
            Action::Up => at.saturating_sub(1).max(first),
            Action::PageDown => (at + page).min(last),
            Action::PageUp => at.saturating_sub(page).max(first),
            Action::Top => first,
            Action::Bottom => last,
            _ => at,
        });
        match action {
            Action::Open => {
                log.open = log.cursor;
                log.scroll = 0;
            }
            Action::Back => self.switch(View::Live),
            _ => {}
        }
    }
}
