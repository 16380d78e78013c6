//! Funnel stages: the default mapping of every event type, and overrides from the config file
//! (by event type, and for `custom` events by their `custom_event` name).

use crate::ecapi::event_type::{EventType, COUNT};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Upper,
    Mid,
    Lower,
    Custom,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Upper, Stage::Mid, Stage::Lower, Stage::Custom];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Upper => "upper",
            Stage::Mid => "mid",
            Stage::Lower => "lower",
            Stage::Custom => "custom",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.name() == text)
    }
}

/// The documented default: awareness (upper), consideration and engagement (mid), conversion
/// and its outcome (lower), `custom` on its own.
pub fn default_stage(t: EventType) -> Stage {
    match t.name() {
        "ad_impression"
        | "page_view"
        | "view_item_list"
        | "view_promotion"
        | "view_search_results"
        | "search"
        | "select_content"
        | "share"
        | "find_location" => Stage::Upper,
        "purchase"
        | "refund"
        | "subscribe"
        | "donate"
        | "start_trial"
        | "install"
        | "close_convert_lead"
        | "close_unconvert_lead"
        | "disqualify_lead"
        | "spend_virtual_currency" => Stage::Lower,
        "custom" => Stage::Custom,
        _ => Stage::Mid,
    }
}

/// An event type, its stage, and whether the configuration changed it.
pub type TypeRow = (&'static str, Stage, bool);

/// The mapping in force: defaults with the config file's overrides.
#[derive(Clone, Debug)]
pub struct StageMap {
    by_type: [Stage; COUNT],
    custom: HashMap<String, Stage>,
}

impl Default for StageMap {
    fn default() -> Self {
        let mut by_type = [Stage::Mid; COUNT];
        for t in EventType::all() {
            by_type[t.index()] = default_stage(t);
        }
        StageMap {
            by_type,
            custom: HashMap::new(),
        }
    }
}

impl StageMap {
    pub fn set(&mut self, t: EventType, stage: Stage) {
        self.by_type[t.index()] = stage;
    }

    pub fn set_custom(&mut self, custom_event: &str, stage: Stage) {
        self.custom.insert(custom_event.to_owned(), stage);
    }

    pub fn stage(&self, t: EventType, custom_event: Option<&str>) -> Stage {
        if t == EventType::CUSTOM {
            if let Some(stage) = custom_event.and_then(|name| self.custom.get(name)) {
                return *stage;
            }
        }
        self.by_type[t.index()]
    }

    /// The mapping as a table, for the docs and `ecapi-scope stages`.
    pub fn table(&self) -> Vec<(&'static str, Stage)> {
        EventType::all()
            .map(|t| (t.name(), self.by_type[t.index()]))
            .collect()
    }

    /// Each event type's stage and whether it differs from the default; then each
    /// `custom_event` name given a stage, sorted.
    pub fn rows(&self) -> (Vec<TypeRow>, Vec<(&str, Stage)>) {
        let types = EventType::all()
            .map(|t| {
                let stage = self.by_type[t.index()];
                (t.name(), stage, stage != default_stage(t))
            })
            .collect();
        let mut custom: Vec<(&str, Stage)> =
            self.custom.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        custom.sort_unstable_by_key(|(k, _)| *k);
        (types, custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> EventType {
        EventType::parse(name).unwrap()
    }

    #[test]
    fn defaults_cover_the_funnel() {
        let map = StageMap::default();
        assert_eq!(map.stage(t("page_view"), None), Stage::Upper);
        assert_eq!(map.stage(t("add_to_cart"), None), Stage::Mid);
        assert_eq!(map.stage(t("purchase"), None), Stage::Lower);
        assert_eq!(map.stage(t("custom"), Some("anything")), Stage::Custom);
        for stage in Stage::ALL {
            assert!(map.table().iter().any(|(_, s)| *s == stage));
        }
    }

    #[test]
    fn overrides_by_type_and_custom_name() {
        let mut map = StageMap::default();
        map.set(t("sign_up"), Stage::Lower);
        map.set_custom("quote_requested", Stage::Mid);
        assert_eq!(map.stage(t("sign_up"), None), Stage::Lower);
        assert_eq!(map.stage(t("custom"), Some("quote_requested")), Stage::Mid);
        assert_eq!(map.stage(t("custom"), Some("other")), Stage::Custom);
    }
}
