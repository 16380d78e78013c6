//! The fast path's own tests; the differential tests against serde_json are in `walk_diff.rs`.

use super::{special, Bail, Fast, Streak, GIVE_UP, PAUSE};
use serde::Deserialize;

fn read<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, Bail> {
    let mut de = Fast::new(text, String::new());
    let value = T::deserialize(&mut de)?;
    de.end().map(|()| value)
}

/// The fast path computes a float as serde_json does without its `float_roundtrip` feature; if
/// a dependency ever turned that feature on, serde_json would round this number correctly and
/// the fast path would no longer agree with it.
#[test]
fn serde_json_rounds_floats_without_float_roundtrip() {
    let text = "7623584.2150889626";
    let by_serde_json: f64 = serde_json::from_str(text).expect("a number");
    let correctly_rounded: f64 = text.parse().expect("a number");
    assert_eq!(read::<f64>(text).ok(), None, "not a method the walk calls");
    let fast = super::float_value(76_235_842_150_889_626, -10).expect("in range");
    assert_eq!(by_serde_json.to_bits(), fast.to_bits());
    assert_ne!(by_serde_json.to_bits(), correctly_rounded.to_bits());
}

/// Only the methods the walk calls are read here; a seed calling any other (an option, a
/// raw value, a number, an enum) is served by serde_json, whose readings of them differ
/// from `deserialize_any`'s.
#[test]
fn methods_the_walk_does_not_call_are_left_to_serde_json() {
    assert!(read::<Option<u64>>("1").is_err());
    assert!(read::<Box<serde_json::value::RawValue>>("[1]").is_err());
    assert!(read::<u64>("1").is_err());
    assert!(read::<bool>("true").is_err());
    assert!(read::<()>("null").is_err());
    assert!(read::<Vec<String>>(r#"["a"]"#).is_err());
    assert!(read::<String>("5").is_err());
    assert_eq!(
        read::<String>(r#" "a\n\u00e9" "#).ok().as_deref(),
        Some("a\né")
    );
    assert!(read::<std::collections::BTreeMap<String, String>>(r#"{"a":"b"}"#).is_err());
}

#[test]
fn special_finds_the_first_quote_backslash_or_control_wherever_it_is() {
    let naive = |s: &[u8], from: usize| {
        (from..s.len())
            .find(|&i| s[i] == b'"' || s[i] == b'\\' || s[i] < 0x20)
            .unwrap_or(s.len())
    };
    for len in 0..40 {
        for at in 0..=len {
            for b in [b'"', b'\\', 0x00, 0x1f, b' ', 0x7f, 0x80, 0xc3, b'!', b']'] {
                let mut s = vec![b'a'; len];
                if at < len {
                    s[at] = b;
                }
                // A second special after the first must not hide it.
                s.push(b'"');
                s.extend_from_slice(b"\\\x01");
                for from in 0..=at.min(len) {
                    assert_eq!(special(&s, from), naive(&s, from), "{s:?} from {from}");
                }
            }
        }
    }
}

#[test]
fn the_fast_path_pauses_after_records_it_gave_up_on_in_a_row() {
    let mut streak = Streak::default();
    // Fewer than GIVE_UP in a row, then one read: no pause.
    for _ in 1..GIVE_UP {
        assert!(streak.worth_trying());
        streak.tried(false);
    }
    assert!(streak.worth_trying());
    streak.tried(true);
    for _ in 1..GIVE_UP {
        assert!(streak.worth_trying());
        streak.tried(false);
    }
    // The GIVE_UP-th in a row: PAUSE records untried.
    assert!(streak.worth_trying());
    streak.tried(false);
    for _ in 0..PAUSE {
        assert!(!streak.worth_trying());
    }
    // Tried again; given up again, it pauses again at once.
    assert!(streak.worth_trying());
    streak.tried(false);
    assert!(!streak.worth_trying());
    for _ in 1..PAUSE {
        assert!(!streak.worth_trying());
    }
    // Read, it is tried from then on.
    assert!(streak.worth_trying());
    streak.tried(true);
    assert!(streak.worth_trying());
}
