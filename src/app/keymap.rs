//! Keys as data: every binding is a row (key, action, description) in one table, defaults
//! embedded, overrides from the config file's `[keys]` table. The help overlay and the key-hint
//! bar are generated from the same table, so they can never disagree with what keys do.

use crate::ecapi::suggest::closest;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    NextView,
    PrevView,
    ViewLive,
    ViewFunnel,
    ViewProblems,
    ViewDuplicates,
    ViewSources,
    Command,
    Filter,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Follow,
    Pause,
    NextError,
    PrevError,
    Mark,
    FirstOccurrence,
    NextFinding,
    PrevFinding,
    Sort,
    Reverse,
    DiffLayout,
    ViewReplay,
    Replay,
    ReplayEdit,
    ReplayFiltered,
    CopyCurl,
    ReplayIds,
}

/// Where an action does something (for the hint bar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    Live,
    Detail,
    Lists,
    Analysis,
}

impl Action {
    pub const ALL: [Action; 36] = [
        Action::Quit,
        Action::Help,
        Action::NextView,
        Action::PrevView,
        Action::ViewLive,
        Action::ViewFunnel,
        Action::ViewProblems,
        Action::ViewDuplicates,
        Action::ViewSources,
        Action::Command,
        Action::Filter,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::Back,
        Action::Follow,
        Action::Pause,
        Action::NextError,
        Action::PrevError,
        Action::Mark,
        Action::FirstOccurrence,
        Action::NextFinding,
        Action::PrevFinding,
        Action::Sort,
        Action::Reverse,
        Action::DiffLayout,
        Action::ViewReplay,
        Action::Replay,
        Action::ReplayEdit,
        Action::ReplayFiltered,
        Action::CopyCurl,
        Action::ReplayIds,
    ];

    pub fn name(self) -> &'static str {
        self.info().0
    }

    pub fn describe(self) -> &'static str {
        self.info().1
    }

    pub fn scope(self) -> Scope {
        self.info().2
    }

    fn info(self) -> (&'static str, &'static str, Scope) {
        use Scope::{Analysis, Detail, Everywhere, Lists, Live};
        match self {
            Action::Quit => ("quit", "quit", Everywhere),
            Action::Help => ("help", "keys and filter language", Everywhere),
            Action::NextView => ("next_view", "next view", Everywhere),
            Action::PrevView => ("prev_view", "previous view", Everywhere),
            Action::ViewLive => ("view_live", "Live view", Everywhere),
            Action::ViewFunnel => ("view_funnel", "Funnel view", Everywhere),
            Action::ViewProblems => ("view_problems", "Problems view", Everywhere),
            Action::ViewDuplicates => ("view_duplicates", "Duplicates view", Everywhere),
            Action::ViewSources => ("view_sources", "Sources view", Everywhere),
            Action::Command => ("command", "go to a view by name (:sources)", Everywhere),
            Action::Filter => ("filter", "filter events", Live),
            Action::Up => ("up", "up", Lists),
            Action::Down => ("down", "down", Lists),
            Action::PageUp => ("page_up", "page up", Lists),
            Action::PageDown => ("page_down", "page down", Lists),
            Action::Top => ("top", "first", Lists),
            Action::Bottom => ("bottom", "last (and follow)", Lists),
            Action::Open => ("open", "open the event", Live),
            Action::Back => ("back", "back / clear filter", Everywhere),
            Action::Follow => ("follow", "follow the tail", Live),
            Action::Pause => ("pause", "pause the view", Live),
            Action::NextError => ("next_error", "next error", Live),
            Action::PrevError => ("prev_error", "previous error", Live),
            Action::Mark => ("mark", "mark the event", Live),
            Action::FirstOccurrence => ("first_occurrence", "go to the first occurrence", Detail),
            Action::NextFinding => (
                "next_finding",
                "next finding (in the JSON and the list)",
                Detail,
            ),
            Action::PrevFinding => ("prev_finding", "previous finding", Detail),
            Action::Sort => ("sort", "sort by the next column", Analysis),
            Action::Reverse => ("reverse", "reverse the order", Analysis),
            Action::DiffLayout => ("diff_layout", "side by side / unified diff", Analysis),
            Action::ViewReplay => ("view_replay", "Replay view", Everywhere),
            Action::Replay => ("replay", "replay (marked, selected, both versions)", Live),
            Action::ReplayEdit => ("replay_edit", "edit in $EDITOR, then replay", Live),
            Action::ReplayFiltered => ("replay_filtered", "replay every event shown", Live),
            Action::CopyCurl => ("copy_curl", "copy as curl", Live),
            Action::ReplayIds => ("replay_ids", "replay with kept / fresh ids", Live),
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// A key with its modifiers. Shift is part of the character (`E`), not a modifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Chord {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Chord {
    pub fn of(ev: &KeyEvent) -> Chord {
        Chord {
            code: ev.code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }

    const NAMED: [(&'static str, KeyCode); 16] = [
        ("enter", KeyCode::Enter),
        ("esc", KeyCode::Esc),
        ("tab", KeyCode::Tab),
        ("backtab", KeyCode::BackTab),
        ("space", KeyCode::Char(' ')),
        ("up", KeyCode::Up),
        ("down", KeyCode::Down),
        ("left", KeyCode::Left),
        ("right", KeyCode::Right),
        ("pageup", KeyCode::PageUp),
        ("pagedown", KeyCode::PageDown),
        ("home", KeyCode::Home),
        ("end", KeyCode::End),
        ("backspace", KeyCode::Backspace),
        ("delete", KeyCode::Delete),
        ("insert", KeyCode::Insert),
    ];

    /// `q`, `E`, `ctrl+c`, `alt+x`, `enter`, `pagedown`, `f5`, …
    pub fn parse(text: &str) -> Result<Chord, String> {
        let mut chord = Chord {
            code: KeyCode::Null,
            ctrl: false,
            alt: false,
        };
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl+").filter(|r| !r.is_empty()) {
                chord.ctrl = true;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt+").filter(|r| !r.is_empty()) {
                chord.alt = true;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        chord.code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if chord.ctrl {
                c.to_ascii_lowercase()
            } else {
                c
            }),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, code)) = Self::NAMED.iter().find(|(n, _)| *n == lower) {
                    *code
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                {
                    KeyCode::F(n)
                } else {
                    return Err(format!(
                        "unknown key {text:?}: expected a character, ctrl+X, alt+X, f1…f12 or one of {}",
                        Self::NAMED.map(|(n, _)| n).join(", ")
                    ));
                }
            }
        };
        Ok(chord)
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl+")?;
        }
        if self.alt {
            f.write_str("alt+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            other => match Self::NAMED.iter().find(|(_, c)| *c == other) {
                Some((n, _)) => f.write_str(n),
                None => write!(f, "{other:?}"),
            },
        }
    }
}

/// One binding.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub chord: Chord,
    pub action: Action,
}

#[derive(Clone, Debug)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

const DEFAULTS: &[(&str, Action)] = &[
    ("q", Action::Quit),
    ("ctrl+c", Action::Quit),
    ("?", Action::Help),
    ("tab", Action::NextView),
    ("backtab", Action::PrevView),
    ("1", Action::ViewLive),
    ("2", Action::ViewFunnel),
    ("3", Action::ViewProblems),
    ("4", Action::ViewDuplicates),
    ("5", Action::ViewReplay),
    ("6", Action::ViewSources),
    (":", Action::Command),
    ("/", Action::Filter),
    ("k", Action::Up),
    ("up", Action::Up),
    ("j", Action::Down),
    ("down", Action::Down),
    ("pageup", Action::PageUp),
    ("ctrl+b", Action::PageUp),
    ("pagedown", Action::PageDown),
    ("ctrl+f", Action::PageDown),
    ("g", Action::Top),
    ("home", Action::Top),
    ("G", Action::Bottom),
    ("end", Action::Bottom),
    ("enter", Action::Open),
    ("esc", Action::Back),
    ("F", Action::Follow),
    ("space", Action::Pause),
    ("e", Action::NextError),
    ("E", Action::PrevError),
    ("m", Action::Mark),
    ("d", Action::FirstOccurrence),
    ("n", Action::NextFinding),
    ("N", Action::PrevFinding),
    ("s", Action::Sort),
    ("S", Action::Reverse),
    ("u", Action::DiffLayout),
    ("r", Action::Replay),
    ("R", Action::ReplayEdit),
    ("ctrl+r", Action::ReplayFiltered),
    ("y", Action::CopyCurl),
    ("i", Action::ReplayIds),
];

impl Default for Keymap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .filter_map(|(k, action)| {
                Chord::parse(k).ok().map(|chord| Binding {
                    chord,
                    action: *action,
                })
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with the config's `[keys]` applied: `action = "key"` or a list of keys
    /// replaces that action's keys (and takes them from any other action).
    pub fn with_overrides(table: &BTreeMap<String, toml::Value>) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        let mut claimed: BTreeMap<String, &str> = BTreeMap::new();
        for (name, value) in table {
            let key = format!("keys.{name}");
            let action = Action::parse(name).ok_or_else(|| {
                let hint = closest(name, Action::ALL.iter().map(|a| a.name()))
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                format!("key `{key}`: unknown action{hint}")
            })?;
            let keys: Vec<&str> = match value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(list) => list
                    .iter()
                    .map(|v| v.as_str().ok_or(()))
                    .collect::<Result<_, _>>()
                    .map_err(|()| format!("key `{key}`: expected a key or a list of keys"))?,
                _ => return Err(format!("key `{key}`: expected a key or a list of keys")),
            };
            if keys.is_empty() {
                return Err(format!("key `{key}`: give at least one key"));
            }
            let chords = keys
                .iter()
                .map(|k| Chord::parse(k).map_err(|e| format!("key `{key}`: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            map.bindings.retain(|b| b.action != action);
            for chord in chords {
                if let Some(other) = claimed.insert(chord.to_string(), name) {
                    return Err(format!("key `{key}`: {chord} is also given to `{other}`"));
                }
                map.bindings.retain(|b| b.chord != chord);
                map.bindings.push(Binding { chord, action });
            }
        }
        if !map.bindings.iter().any(|b| b.action == Action::Quit) {
            return Err("key `keys`: no key is left to quit with".into());
        }
        Ok(map)
    }

    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let chord = Chord::of(ev);
        self.bindings
            .iter()
            .find(|b| b.chord == chord)
            .map(|b| b.action)
    }

    /// The keys bound to an action, as shown in help (`j/↓`).
    pub fn keys_of(&self, action: Action) -> String {
        let keys: Vec<String> = self
            .bindings
            .iter()
            .filter(|b| b.action == action)
            .map(|b| b.chord.to_string())
            .collect();
        keys.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn defaults_cover_every_action() {
        let map = Keymap::default();
        assert_eq!(map.bindings.len(), DEFAULTS.len());
        for a in Action::ALL {
            assert!(!map.keys_of(a).is_empty(), "{a:?} has no key");
        }
        let shift_e = key(KeyCode::Char('E'), KeyModifiers::SHIFT);
        assert_eq!(map.action(&shift_e), Some(Action::PrevError));
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.action(&ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn overrides_replace_and_take_keys() {
        let table: BTreeMap<String, toml::Value> =
            toml::from_str("next_error = \"n\"\nmark = [\"x\", \"ctrl+m\"]\nquit = \"e\"").unwrap();
        let map = Keymap::with_overrides(&table).unwrap();
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        let e = key(KeyCode::Char('e'), KeyModifiers::NONE);
        assert_eq!(map.action(&n), Some(Action::NextError));
        assert_eq!(map.action(&e), Some(Action::Quit));
        assert_eq!(map.keys_of(Action::Mark), "x/ctrl+m");
        assert_eq!(
            map.action(&key(KeyCode::Char('m'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn bad_bindings_are_clear_errors() {
        let err = |text: &str| {
            let table: BTreeMap<String, toml::Value> = toml::from_str(text).unwrap();
            Keymap::with_overrides(&table).unwrap_err()
        };
        assert!(err("next_eror = \"n\"").contains("did you mean `next_error`"));
        assert!(err("quit = \"ctrl+\"").contains("unknown key"));
        assert!(err("quit = \"banana\"").contains("keys.quit"));
        assert!(err("quit = 3").contains("expected a key"));
        assert!(err("quit = \"x\"\nmark = \"x\"").contains("also given"));
        assert!(err("quit = []").contains("at least one key"));
        assert!(err("mark = \"q\"\nnext_view = \"ctrl+c\"").contains("quit"));
    }
}
