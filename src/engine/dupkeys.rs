//! The collided `(data_set_id, id)` keys of the aggregates, kept by data set and then by id,
//! so that a key seen before is found by the event's own text: a resend of a known key costs
//! no allocation (a map keyed by an owned pair needed both strings copied to look one up).

use super::aggregate::{key_text, DuplicateKeyStats, MAX_KEY_CHARS};
use crate::fasthash::FastMap;
use std::borrow::Cow;

#[derive(Clone, Debug, Default)]
pub struct DuplicateKeys {
    by_data_set: FastMap<String, FastMap<String, DuplicateKeyStats>>,
    len: usize,
}

/// `s` as the aggregates keep it (`key_text`), borrowed when it is short enough to be kept
/// whole.
pub fn key_cut(s: &str) -> Cow<'_, str> {
    if s.len() <= MAX_KEY_CHARS {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(key_text(s))
    }
}

impl DuplicateKeys {
    /// How many keys are kept.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn values(&self) -> impl Iterator<Item = &DuplicateKeyStats> {
        self.by_data_set.values().flat_map(FastMap::values)
    }

    /// The key's stats, made with `make` when the key is new and fewer than `cap` keys are
    /// kept; `None` for a new key when `cap` keys are already kept. `ds` and `id` are cut
    /// as `key_cut` cuts them.
    pub fn get_or_insert(
        &mut self,
        ds: &str,
        id: &str,
        cap: usize,
        make: impl FnOnce() -> DuplicateKeyStats,
    ) -> Option<&mut DuplicateKeyStats> {
        let known = self
            .by_data_set
            .get(ds)
            .is_some_and(|ids| ids.contains_key(id));
        if !known {
            if self.len >= cap {
                return None;
            }
            self.len += 1;
            self.by_data_set
                .entry(ds.to_owned())
                .or_default()
                .insert(id.to_owned(), make());
        }
        self.by_data_set.get_mut(ds)?.get_mut(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(ds: &str, id: &str) -> DuplicateKeyStats {
        DuplicateKeyStats {
            data_set_id: ds.to_owned(),
            id: id.to_owned(),
            ..DuplicateKeyStats::default()
        }
    }

    #[test]
    fn keys_are_found_again_and_counted_once() {
        let mut keys = DuplicateKeys::default();
        for (ds, id) in [("a", "1"), ("a", "2"), ("b", "1"), ("a", "1")] {
            let s = keys.get_or_insert(ds, id, 10, || stats(ds, id));
            s.expect("room for the key").duplicates += 1;
        }
        assert_eq!(keys.len(), 3);
        let mut seen: Vec<_> = keys
            .values()
            .map(|s| (s.data_set_id.as_str(), s.id.as_str(), s.duplicates))
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, [("a", "1", 2), ("a", "2", 1), ("b", "1", 1)]);
    }

    #[test]
    fn a_full_map_refuses_new_keys_but_still_counts_known_ones() {
        let mut keys = DuplicateKeys::default();
        assert!(keys
            .get_or_insert("a", "1", 1, || stats("a", "1"))
            .is_some());
        assert!(keys
            .get_or_insert("a", "2", 1, || stats("a", "2"))
            .is_none());
        assert!(keys
            .get_or_insert("b", "1", 1, || stats("b", "1"))
            .is_none());
        assert!(keys
            .get_or_insert("a", "1", 1, || stats("a", "1"))
            .is_some());
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.values().count(), 1);
    }

    #[test]
    fn long_keys_are_cut_as_key_text_cuts_them() {
        let long = "x".repeat(MAX_KEY_CHARS + 5);
        assert_eq!(key_cut(&long), key_text(&long));
        assert!(matches!(key_cut("evt-1"), Cow::Borrowed("evt-1")));
        let wide = "é".repeat(MAX_KEY_CHARS - 10); // over the limit in bytes, not in chars
        assert_eq!(key_cut(&wide), key_text(&wide));
    }
}
