//! Keys in the Funnel, Problems and Duplicates views: moving over their lists (by key, in the
//! order they are drawn), sorting, choosing a data set, drilling from a problem to its events,
//! and opening a duplicate key's versions.

use super::analysis::{duplicate_keys, moved, position_of, problem_groups, scoreboard};
use super::keymap::Action;
use super::layout;
use super::versions::Versions;
use super::{App, Drill, View};
use crate::filter::Filter;

/// How far a list action moves the cursor; `None` for the other actions.
fn step(action: Action, page: usize) -> Option<isize> {
    let page = isize::try_from(page).unwrap_or(isize::MAX);
    match action {
        Action::Down => Some(1),
        Action::Up => Some(-1),
        Action::PageDown => Some(page),
        Action::PageUp => Some(-page),
        Action::Top => Some(isize::MIN / 2),
        Action::Bottom => Some(isize::MAX / 2),
        _ => None,
    }
}

/// A filter value, quoted when it holds spaces or quotes.
fn quoted(text: &str) -> String {
    if text
        .chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\\')
    {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text.to_owned()
    }
}

impl App {
    fn list_page(&self) -> usize {
        (layout::areas(self.size).body.height as usize)
            .saturating_sub(2)
            .max(1)
    }

    pub(super) fn funnel_act(&mut self, action: Action) {
        let page = self.list_page();
        let keys: Vec<String> = scoreboard(&self.agg, &self.funnel, self.now_ms)
            .into_iter()
            .map(|(k, _)| k.clone())
            .collect();
        let pos = position_of(keys.iter(), self.funnel.selected.as_ref());
        if let Some(delta) = step(action, page) {
            self.funnel.selected = keys.get(moved(pos, keys.len(), delta)).cloned();
            return;
        }
        match action {
            Action::Sort => self.funnel.cycle_sort(),
            Action::Reverse => self.funnel.descending = !self.funnel.descending,
            Action::Open => match keys.get(pos) {
                Some(ds) => {
                    self.funnel.chosen = Some(ds.clone());
                    self.funnel.selected = Some(ds.clone());
                }
                None => self.say("no data_set_id seen yet"),
            },
            Action::Back if self.funnel.chosen.is_some() => {
                self.funnel.chosen = None;
                self.say("all data sets");
            }
            Action::Back => self.switch(View::Live),
            _ => {}
        }
    }

    pub(super) fn problems_act(&mut self, action: Action) {
        let page = self.list_page();
        let keys: Vec<(crate::ecapi::codes::Code, String)> =
            problem_groups(&self.agg, &self.problems)
                .into_iter()
                .map(|g| (g.code, g.path.clone()))
                .collect();
        let pos = position_of(keys.iter(), self.problems.selected.as_ref());
        if let Some(delta) = step(action, page) {
            self.problems.selected = keys.get(moved(pos, keys.len(), delta)).cloned();
            return;
        }
        match action {
            Action::Sort => self.problems.cycle_sort(),
            Action::Reverse => self.problems.descending = !self.problems.descending,
            Action::Open => match keys.get(pos) {
                Some((code, path)) => {
                    let text = format!("code:{} path:{}", code.name(), quoted(path));
                    self.drill_to_live(&text);
                }
                None => self.say("no findings yet"),
            },
            Action::Back => self.switch(View::Live),
            _ => {}
        }
    }

    /// Shows the Live table with `filter`; `Esc` there comes back.
    fn drill_to_live(&mut self, filter: &str) {
        let Ok(f) = Filter::parse(filter) else {
            self.say(format!("cannot filter on {filter}"));
            return;
        };
        // Drilling again from a drilled table keeps the filter the table had before the first.
        let previous = match self.drill.take() {
            Some(d) => d.filter,
            None => self.window.filter().cloned(),
        };
        let from = self.view;
        self.switch(View::Live);
        self.window.set_filter(Some(f));
        self.selected = None;
        self.top = None;
        self.follow = true;
        self.after_change();
        self.drill = Some(Drill {
            from,
            filter: previous,
        });
        self.say(format!("{filter} · esc goes back"));
    }

    /// `Esc` in a Live table opened from another view: back there, with the old filter.
    pub(super) fn drill_back(&mut self) -> bool {
        let Some(drill) = self.drill.take() else {
            return false;
        };
        self.window.set_filter(drill.filter);
        self.selected = None;
        self.top = None;
        self.follow = true;
        self.after_change();
        self.switch(drill.from);
        true
    }

    pub(super) fn duplicates_act(&mut self, action: Action) {
        let page = self.list_page();
        if let Some(v) = self.versions.as_mut() {
            // The diff scrolls until its last line is at the bottom, not past it.
            let last = v.diff.len().saturating_sub(page);
            match action {
                Action::Down => v.scroll = (v.scroll + 1).min(last),
                Action::Up => v.scroll = v.scroll.saturating_sub(1),
                Action::PageDown => v.scroll = (v.scroll + page).min(last),
                Action::PageUp => v.scroll = v.scroll.saturating_sub(page),
                Action::Top => v.scroll = 0,
                Action::Bottom => v.scroll = last,
                Action::DiffLayout => v.side_by_side = !v.side_by_side,
                Action::Back => self.versions = None,
                _ => {}
            }
            return;
        }
        let list = duplicate_keys(&self.agg, &self.dups);
        let keys: Vec<(String, String)> = list
            .iter()
            .map(|k| (k.data_set_id.clone(), k.id.clone()))
            .collect();
        let pos = position_of(keys.iter(), self.dups.selected.as_ref());
        if let Some(delta) = step(action, page) {
            self.dups.selected = keys.get(moved(pos, keys.len(), delta)).cloned();
            return;
        }
        match action {
            Action::Sort => self.dups.cycle_sort(),
            Action::Reverse => self.dups.descending = !self.dups.descending,
            Action::Open => match list.get(pos) {
                Some(stats) => {
                    let rows: Vec<_> = self.window.rows().collect();
                    let v = Versions::find(stats, &rows);
                    if v.latest.is_none() {
                        self.say("no version of this key is left in the window");
                    }
                    self.dups.selected = keys.get(pos).cloned();
                    self.versions = Some(v);
                }
                None => self.say("no duplicates yet"),
            },
            Action::Back => self.switch(View::Live),
            _ => {}
        }
    }
}
