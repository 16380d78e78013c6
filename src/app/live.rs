//! The Live table's and the detail's navigation: selection by seq, follow, pause, error jumps,
//! marks, opening an event, and keeping the selection in view as rows arrive and leave.

use super::detail::Detail;
use super::keymap::Action;
use super::layout;
use super::{App, Effect, Pause, View};

impl App {
    /// Rows the table can show.
    pub fn table_rows(&self) -> usize {
        layout::table_rows(self.size).max(1)
    }

    /// How many visible rows the table may show (a pause holds new rows back, outside).
    pub fn limit(&self) -> usize {
        self.window.visible_len()
    }

    /// The position of the selected row among the visible ones.
    pub fn selected_pos(&self) -> Option<usize> {
        let limit = self.limit();
        let seq = self.selected?;
        let pos = match self.window.position(seq) {
            Ok(p) => p,
            Err(p) => p.min(limit.saturating_sub(1)),
        };
        (limit > 0).then_some(pos.min(limit - 1))
    }

    /// The position of the first row shown.
    pub fn top_pos(&self) -> usize {
        self.top
            .map_or(0, |t| self.window.position(t).unwrap_or_else(|p| p))
    }

    /// Events that arrived while paused (and pass the filter).
    pub fn arrived_since_pause(&self) -> u64 {
        self.pause
            .as_ref()
            .map_or(0, |p| p.held.len() as u64 + p.overflow)
    }

    /// Keeps the selection on a visible row (the tail when following) and in view.
    pub(super) fn after_change(&mut self) {
        let limit = self.limit();
        if limit == 0 {
            self.selected = None;
            self.top = None;
            return;
        }
        if self.follow || self.selected.is_none() {
            self.selected = self.window.visible_at(limit - 1);
        }
        let Some(sel) = self.selected_pos() else {
            return;
        };
        self.selected = self.window.visible_at(sel);
        let rows = self.table_rows();
        let mut top = self.top_pos().min(limit.saturating_sub(1));
        if sel < top {
            top = sel;
        } else if sel >= top + rows {
            top = sel + 1 - rows;
        }
        if self.follow {
            top = limit.saturating_sub(rows);
        }
        self.top = self.window.visible_at(top);
    }

    fn select_pos(&mut self, pos: usize) {
        let limit = self.limit();
        if limit == 0 {
            return;
        }
        self.selected = self.window.visible_at(pos.min(limit - 1));
        self.follow = false;
        self.after_change();
    }

    pub(super) fn live_act(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let pos = self.selected_pos().unwrap_or(0);
        let page = self.table_rows();
        match action {
            Action::Down => self.select_pos(pos + 1),
            Action::Up => self.select_pos(pos.saturating_sub(1)),
            Action::PageDown => self.select_pos(pos + page),
            Action::PageUp => self.select_pos(pos.saturating_sub(page)),
            Action::Top => self.select_pos(0),
            Action::Bottom => {
                self.follow = true;
                self.after_change();
            }
            Action::Follow => {
                self.follow = !self.follow;
                self.say(if self.follow {
                    "following the tail"
                } else {
                    "not following"
                });
                self.after_change();
            }
            Action::Pause => self.toggle_pause(),
            Action::NextError | Action::PrevError => {
                let forward = action == Action::NextError;
                match self
                    .window
                    .find_from(pos, forward, self.limit(), super::row::Row::is_error)
                {
                    Some(seq) => {
                        self.selected = Some(seq);
                        self.follow = false;
                        self.after_change();
                    }
                    None => self.say(if forward {
                        "no error below"
                    } else {
                        "no error above"
                    }),
                }
            }
            Action::Mark => {
                if let Some(seq) = self.selected {
                    if !self.marks.remove(&seq) {
                        self.marks.insert(seq);
                    }
                }
            }
            Action::Open => {
                if let Some(seq) = self.selected {
                    self.open(seq, fx);
                }
            }
            Action::Back if self.drill.is_some() => {
                self.drill_back();
            }
            Action::Back if self.window.filter().is_some() => {
                self.window.set_filter(None);
                self.say("filter cleared");
                self.after_change();
            }
            _ => {}
        }
    }

    fn toggle_pause(&mut self) {
        match self.pause.take() {
            Some(p) => {
                self.overflowed += p.overflow;
                for row in p.held {
                    self.window.push(row);
                }
                self.say("resumed");
            }
            None => {
                self.pause = Some(Pause::default());
                self.say("paused: events are still received and counted");
            }
        }
        self.after_change();
    }

    /// Opens an event's detail, asking for its highlighted JSON unless it is cached.
    pub(super) fn open(&mut self, seq: u64, fx: &mut Vec<Effect>) {
        let Some(row) = self.window.get(seq).cloned() else {
            return;
        };
        let doc = self.docs.get(seq);
        if doc.is_none() {
            fx.push(Effect::Highlight {
                seq,
                raw: std::sync::Arc::clone(&row.raw),
                as_text: row.status == crate::engine::report::Status::Malformed,
            });
        }
        self.detail = Some(Detail {
            row,
            scroll: 0,
            doc,
            finding: None,
        });
    }

    pub(super) fn detail_act(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let page = layout::areas(self.size).body.height as usize;
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        match action {
            Action::Down => d.scroll += 1,
            Action::Up => d.scroll = d.scroll.saturating_sub(1),
            Action::PageDown => d.scroll += page,
            Action::PageUp => d.scroll = d.scroll.saturating_sub(page),
            Action::Top => d.scroll = 0,
            Action::Bottom => d.scroll = usize::MAX / 2,
            Action::Back => self.detail = None,
            Action::FirstOccurrence => self.first_occurrence(fx),
            Action::NextFinding => d.step_finding(true),
            Action::PrevFinding => d.step_finding(false),
            Action::Mark => {
                let seq = d.row.seq;
                if !self.marks.remove(&seq) {
                    self.marks.insert(seq);
                }
            }
            _ => {}
        }
    }

    fn first_occurrence(&mut self, fx: &mut Vec<Effect>) {
        let Some(dup) = self.detail.as_ref().and_then(|d| d.row.duplicate.clone()) else {
            self.say("this event is not a duplicate");
            return;
        };
        let first = self
            .window
            .rows()
            .find(|r| r.is_first_of(&dup))
            .map(|r| r.seq);
        match first {
            Some(seq) => {
                self.selected = Some(seq);
                self.follow = false;
                self.after_change();
                self.open(seq, fx);
            }
            None => {
                let label = self
                    .sources
                    .get(dup.first_source as usize)
                    .map_or("its source", |s| s.label.as_str());
                self.say(format!(
                    "the first occurrence (line {} of {}) has left the window",
                    dup.first_line,
                    crate::output::safe::safe(label)
                ));
            }
        }
    }

    /// A click on a table row selects it.
    pub(super) fn click(&mut self, _column: u16, row: u16) {
        if self.view != View::Live || self.detail.is_some() {
            return;
        }
        let body = layout::areas(self.size).body;
        if row <= body.y || row >= body.y + body.height {
            return;
        }
        let pos = self.top_pos() + (row - body.y - 1) as usize;
        if pos < self.limit() {
            self.select_pos(pos);
        }
    }
}
