//! The differential tests of the walk's parsing paths (#11): the fast path (`fastjson`, what
//! every UTF-8 record takes first), serde_json over text already checked as UTF-8 (what the
//! fast path leaves to it), and serde_json over bytes checked string by string (records that
//! are not UTF-8). Every record of generated traffic with every fault kind, hostile records,
//! edge cases of numbers and escapes, and random JSON must give the same events, findings and
//! hashes every way.

use super::{RecordSeed, Walk, WalkConfig};
use crate::gen::{generate, GenOptions};
use serde::de::DeserializeSeed;

impl Walk {
    /// serde_json alone over the record's text (bytes when it is not UTF-8), as the walk read
    /// every record before the fast path.
    fn run_serde(&mut self, raw: &[u8], reference_time: i64) -> Result<(), serde_json::Error> {
        let Ok(text) = std::str::from_utf8(raw) else {
            return self.run_from_bytes(raw, reference_time);
        };
        self.start(raw, reference_time);
        self.parse(serde_json::Deserializer::from_str(text))
    }

    /// The fast path alone: what it made of the record, or `None` when it gave up.
    fn fast_only(&mut self, raw: &[u8], reference_time: i64) -> Option<String> {
        let text = std::str::from_utf8(raw).ok()?;
        self.start(raw, reference_time);
        self.run_fast(text).then(|| outcome(self, Ok(())))
    }

    /// The old path: the whole record through serde_json's byte reader.
    fn run_from_bytes(&mut self, raw: &[u8], reference_time: i64) -> Result<(), serde_json::Error> {
        self.start(raw, reference_time);
        let mut de = serde_json::Deserializer::from_slice(raw);
        RecordSeed { w: self }.deserialize(&mut de)?;
        de.end()
    }
}

/// Everything the walk made of one record, as text, for comparing.
fn outcome(w: &Walk, result: Result<(), serde_json::Error>) -> String {
    match result {
        Err(e) => format!("error {e}"),
        Ok(()) => format!("batch {} {:?}", w.is_batch(), w.events()),
    }
}

const NOW: i64 = 1_795_784_000;

fn traffic(seed: u64, batch_size: usize) -> Vec<u8> {
    let opts = GenOptions {
        seed,
        count: 4_000,
        now: NOW,
        invalid_rate: 0.6,
        duplicate_rate: 0.1,
        malformed_rate: 0.05,
        batch_size,
        ..GenOptions::default()
    };
    let mut out = Vec::new();
    generate(opts, &mut out).expect("generating into memory");
    out
}

const HOSTILE: &[&[u8]] = &[
    br#"{"data_set_id":"a\u0000b","id":"\ud83d\ude00","event_type":"purchase"}"#,
    br#"{"data_set_id":"a\"b","id":"x\/y","url":"https:\/\/shop.example\/p?q=1"}"#,
    br#"{"id":"\ud800","data_set_id":"a"}"#,
    br#"{"id":"1","timestamp":-0,"value":-0.0,"currency_code":"USD"}"#,
    br#"{"id":"1","timestamp":1e400}"#,
    br#"{"id":"1","value":18446744073709551616}"#,
    br#"{"id":"1","id":"2","user_data":{"em":["\u001b[31m"]}}"#,
    br#"[{"id":"1"},7,"x",null,[1,2]]"#,
    br#"{"events":[{"id":"1"}],"events":{"a":1}}"#,
    b"{\"id\":\"\x7f\xc2\x80\"}",
    b"{\"id\":\"a\"}  \t\r ",
    b"{\"id\":\"a\"} x",
    b"\"just a string\"",
    // Not UTF-8: the byte path on both sides, the parser's own error.
    b"{\"id\":\"a\xff\"}",
    b"{\"id\":\"\xed\xa0\x80\"}",
    b"",
];

/// Compares every path over `inputs`; returns how many records the fast path read itself.
fn compare_paths(inputs: &[Vec<u8>]) -> usize {
    let mut walk = Walk::new(WalkConfig::default());
    let mut reference = Walk::new(WalkConfig::default());
    let mut fast_read = 0;
    for raw in inputs {
        let shown = String::from_utf8_lossy(raw);
        let want = reference.run_from_bytes(raw, NOW);
        let want = outcome(&reference, want);
        let text = walk.run_serde(raw, NOW);
        assert_eq!(outcome(&walk, text), want, "serde_json over text: {shown}");
        if let Some(fast) = walk.fast_only(raw, NOW) {
            assert_eq!(fast, want, "the fast path: {shown}");
            fast_read += 1;
        }
        let got = walk.run(raw, NOW);
        assert_eq!(outcome(&walk, got), want, "the walk: {shown}");
    }
    fast_read
}

#[test]
fn every_path_agrees_on_every_record() {
    let mut inputs: Vec<Vec<u8>> = HOSTILE.iter().map(|r| r.to_vec()).collect();
    let mut generated = 0;
    for (seed, batch) in [(1, 1), (2, 1), (3, 25)] {
        let lines: Vec<Vec<u8>> = traffic(seed, batch)
            .split(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        generated += lines.len();
        inputs.extend(lines);
    }
    let fast_read = compare_paths(&inputs);
    // Generated traffic is 5% malformed: the fast path reads all the rest itself.
    assert!(
        fast_read * 100 > generated * 94,
        "{fast_read} of {generated}"
    );
}

/// A run of records the fast path gives up on late (it then pauses, and serde_json reads the
/// next ones untried), then ordinary traffic: the walk's outcomes stay serde_json's throughout.
#[test]
fn every_path_agrees_through_the_fast_paths_pauses() {
    let late = br#"{"id":"late","event_type":"purchase","value":1,"currency_code":"USD","x":1e99}"#;
    let lines = |seed, batch| -> Vec<Vec<u8>> {
        traffic(seed, batch)
            .split(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    };
    let mut inputs: Vec<Vec<u8>> = vec![late.to_vec(); 20];
    inputs.extend(lines(5, 1).into_iter().take(600));
    inputs.extend(vec![late.to_vec(); 9]);
    inputs.extend(lines(6, 3).into_iter().take(300));
    compare_paths(&inputs);
}

/// Numbers and strings at the edges of what the fast path reads itself (`true`) or leaves to
/// serde_json (`false`): either way, the walk's outcome is serde_json's.
#[test]
fn the_fast_path_reads_what_it_reads_exactly_and_leaves_the_rest() {
    let cases: &[(&str, bool)] = &[
        (r#"{"value":0.1,"currency_code":"USD"}"#, true),
        (r#"{"value":734.99}"#, true),
        (r#"{"value":-0}"#, true),
        (r#"{"value":-0.0}"#, true),
        (r#"{"value":0}"#, true),
        (r#"{"value":-12}"#, true),
        (r#"{"value":1.5e3}"#, true),
        (r#"{"value":1E-2}"#, true),
        (r#"{"value":-1e-7,"timestamp":1e3}"#, true),
        (r#"{"value":1.5e+3}"#, true),
        (r#"{"value":0e5}"#, true),
        (r#"{"value":1.0e22}"#, true),
        (r#"{"value":1e22}"#, true),
        (r#"{"value":1e23}"#, false),
        (r#"{"value":1e-22}"#, true),
        (r#"{"value":1e-23}"#, false),
        (r#"{"value":1e400}"#, false),
        (r#"{"value":1e0001}"#, false),
        (r#"{"value":1e}"#, false),
        (r#"{"value":1e+}"#, false),
        (r#"{"value":1.e5}"#, false),
        (r#"{"value":9007199254740993e0}"#, true),
        (r#"{"value":19.990000000000002,"timestamp":0.30000000000000004}"#, true),
        (r#"{"value":7623584.2150889626}"#, true),
        (r#"{"value":18446744073709551615.5}"#, false),
        (r#"{"value":9007199254740992e0}"#, true),
        (r#"{"value":-0e5,"timestamp":-0.0e-3}"#, true),
        (r#"{"value":1e005}"#, true),
        (r#"{"value":1.5e-21}"#, true),
        (r#"{"value":123.456e20}"#, true),
        (r#"{"value":0.000001e-17}"#, false),
        (r#"{"value":1e+-5}"#, false),
        ("[1e5x]", false),
        (r#"{"a":1true}"#, false),
        (r#"{"timestamp":18446744073709551615}"#, true),
        (r#"{"timestamp":18446744073709551616}"#, false),
        (r#"{"timestamp":-9223372036854775807}"#, true),
        (r#"{"timestamp":-9223372036854775808}"#, false),
        (r#"{"value":900719925474099.2}"#, true),
        (r#"{"value":900719925474099.3}"#, true),
        (r#"{"value":0.0000000000000000000001}"#, true),
        (r#"{"value":0.00000000000000000000001}"#, false),
        (r#"{"value":01}"#, false),
        (r#"{"value":1.}"#, false),
        (r#"{"value":.5}"#, false),
        (r#"{"value":-}"#, false),
        (r#"{"value":--1}"#, false),
        (r#"{"value":1.2.3}"#, false),
        (r#"{"id":"\ud83d\ude00","data_set_id":"\u00e9\u00C9"}"#, true),
        (r#"{"id":"\ud83d"}"#, false),
        (r#"{"id":"\ude00"}"#, false),
        (r#"{"id":"\ud83d\u0041"}"#, false),
        (r#"{"id":"\u12"}"#, false),
        (r#"{"id":"\x41"}"#, false),
        (r#"{"id":"a\/b\"c\\d\b\f\n\r\t\u0000"}"#, true),
        (r#"{"url":"https:\/\/shop.example\/p?q=1","id":"x"}"#, true),
        ("{\"id\":\"tab\there\"}", false),
        ("{\"id\":\"a\\nb\tc\"}", false),
        ("{\"id\":\"a\\u0041\u{1}\"}", false),
        ("{\"id\":\"x\",\u{c}\"value\":1}", false),
        ("{\"id\":\"x\",\u{b}\"value\":1}", false),
        (r#"{"id\u0041":1,"user_data":{"e\u006d":["x"]}}"#, true),
        (" \t\r\n{ \"id\" : \"x\" , \"properties\" : { \"items\" : [ { } , { \"id\" : 1 } ] } } \n", true),
        (r#"{"a":1,}"#, false),
        ("[1,]", false),
        ("[,1]", false),
        (r#"{,"a":1}"#, false),
        (r#"{"a" 1}"#, false),
        (r#"{"a":1 "b":2}"#, false),
        (r#"{"a":[1 2]}"#, false),
        (r#"{"id":"x"} x"#, false),
        (r#"{"id":"x"}{}"#, false),
        (r#"{"id":"x""#, false),
        (r#"{"id":"x"#, false),
        (r#"{"a":tru}"#, false),
        (r#"{"a":nul}"#, false),
        (r#"{"a":falsey}"#, false),
        (r#"{"a":true,"b":false,"c":null}"#, true),
        (r#""just a string""#, true),
        ("[]", true),
        ("{}", true),
        (r#"{"events":[]}"#, true),
        ("", false),
        ("   ", false),
    ];
    let mut walk = Walk::new(WalkConfig::default());
    for (record, reads) in cases {
        assert_eq!(
            walk.fast_only(record.as_bytes(), NOW).is_some(),
            *reads,
            "{record}"
        );
    }
    let inputs: Vec<Vec<u8>> = cases.iter().map(|(r, _)| r.as_bytes().to_vec()).collect();
    compare_paths(&inputs);
}

/// Nesting past the fast path's limit is serde_json's to read (to its own limit, 128).
#[test]
fn deep_nesting_is_left_to_serde_json() {
    let nested = |depth: usize| {
        let mut r = String::from(r#"{"id":"x","custom_data":"#);
        r.push_str(&"[".repeat(depth));
        r.push_str(&"]".repeat(depth));
        r.push('}');
        r.into_bytes()
    };
    let mut walk = Walk::new(WalkConfig::default());
    assert!(walk.fast_only(&nested(90), NOW).is_some());
    assert!(walk.fast_only(&nested(110), NOW).is_none());
    assert!(walk.run(&nested(110), NOW).is_ok());
    assert!(walk.run(&nested(200), NOW).is_err());
    compare_paths(&[
        nested(90),
        nested(110),
        nested(127),
        nested(200),
        nested(5000),
    ]);
}

/// The record-wide scan for DEL and C1 bytes decides whether strings are scanned one by one:
/// a control character must be found wherever it sits, and only where it sits.
#[test]
fn control_characters_are_found_whether_or_not_the_record_scan_skips_strings() {
    let mut w = Walk::new(WalkConfig::default());
    let paths = |w: &Walk| -> Vec<String> {
        w.events()
            .iter()
            .flat_map(|e| e.findings.iter())
            .filter(|f| f.code == crate::ecapi::codes::Code::ControlCharacters)
            .map(|f| f.path.to_string())
            .collect()
    };
    let cases: &[(&[u8], &[&str])] = &[
        (br#"{"id":"a","properties":{"search_term":"boots"}}"#, &[]),
        (
            b"{\"id\":\"a\",\"properties\":{\"search_term\":\"bo\x7fots\"}}",
            &["$.properties.search_term"],
        ),
        (
            b"{\"id\":\"a\xc2\x85\",\"properties\":{\"search_term\":\"boots\"}}",
            &["$.id"],
        ),
        // 0xC2 that starts no C1 character (U+00A3): the strings are scanned, none is flagged.
        (
            b"{\"id\":\"\xc2\xa3\",\"properties\":{\"search_term\":\"boots\"}}",
            &[],
        ),
        (
            br#"{"id":"a","properties":{"search_term":"boots\u001b[31m"}}"#,
            &["$.properties.search_term"],
        ),
        (
            br#"{"id":"a","properties":{"search_term":"\u007f"}}"#,
            &["$.properties.search_term"],
        ),
    ];
    for (raw, want) in cases {
        w.run(raw, NOW).expect("valid JSON");
        assert_eq!(paths(&w), *want, "{}", String::from_utf8_lossy(raw));
    }
}

/// What an event's facts say (an unset text slot may keep a stale buffer; it says nothing).
fn said(events: &[crate::engine::facts::EventFacts]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let texts = [
                &e.data_set_id,
                &e.id,
                &e.event_type_text,
                &e.custom_event,
                &e.currency,
                &e.lease_end_text,
            ]
            .map(|slot| slot.get().map(str::to_owned));
            format!("{:?} {texts:?} {:?}", e.findings, e.f)
        })
        .collect()
}

/// Batch mode (`keep_events`/`swap_events`, what `check -j N` and the hub's validator thread
/// use) gives every record the events single-record mode gives it, at the place it says,
/// whatever comes between: envelopes, arrays, malformed records, scalars.
#[test]
fn batch_mode_keeps_each_records_events_where_it_says() {
    let mut inputs: Vec<Vec<u8>> = HOSTILE.iter().map(|r| r.to_vec()).collect();
    inputs.extend(traffic(4, 7).split(|&b| b == b'\n').map(<[u8]>::to_vec));
    // Known answers, independent of the walk's own slicing: an envelope's events are its
    // elements, not its own slot.
    let envelope = br#"{"events":[{"id":"env-1"},{"id":"env-2"}]}"#;
    inputs.insert(3, envelope.to_vec());
    inputs.push(envelope.to_vec());
    inputs.push(br#"{"events":[]}"#.to_vec());
    let mut envelopes_seen = 0;
    let mut single = Walk::new(WalkConfig::default());
    let mut kept = Walk::new(WalkConfig::default());
    // The vector handed over between batches, as a recycled batch's would be.
    let mut handed: Vec<crate::engine::facts::EventFacts> = Vec::new();
    for chunk in inputs.chunks(50) {
        kept.keep_events();
        let mut expected = Vec::new();
        for raw in chunk {
            let ok = single.run(raw, NOW).is_ok();
            let want = said(single.events());
            let got_ok = kept.run(raw, NOW).is_ok();
            assert_eq!(ok, got_ok);
            if ok {
                expected.push((kept.events_start(), single.events().len(), want));
            }
            if raw.as_slice() == envelope.as_slice() {
                let ids: Vec<_> = kept.events().iter().map(|e| e.id.get()).collect();
                assert_eq!(ids, [Some("env-1"), Some("env-2")]);
                envelopes_seen += 1;
            }
        }
        let n = kept.swap_events(&mut handed);
        for (first, count, want) in expected {
            assert!(first + count <= n);
            assert_eq!(said(&handed[first..first + count]), want);
        }
    }
    assert_eq!(envelopes_seen, 2);
}

mod random {
    use super::compare_paths;
    use proptest::prelude::*;

    /// Member names the walk has rules for, and a few it has not.
    const NAMES: &[&str] = &[
        "id",
        "data_set_id",
        "event_type",
        "timestamp",
        "value",
        "currency_code",
        "user_data",
        "em",
        "ph",
        "event_ip_address",
        "properties",
        "items",
        "price",
        "quantity",
        "page_url",
        "events",
        "custom",
        "x",
    ];

    fn ws() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            8 => Just(""),
            2 => Just(" "),
            2 => Just("\n\t "),
            2 => Just("\r"),
            // Not JSON whitespace.
            1 => Just("\u{c}"),
        ]
    }

    /// JSON text of a scalar, well formed or nearly so.
    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            "-?(0|[1-9][0-9]{0,21})(\\.[0-9]{1,24})?([eE][+-]?[0-9]{1,3})?",
            "-?0[0-9]|-|1\\.|\\.5",
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
            "\"([a-z/:.]|[\\x00-\\x1f]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4}|\\\\u[dD][89abAB][0-9a-f]{2}\\\\u[dD][c-fC-F][0-9a-f]{2}){0,12}\"",
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        scalar().prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec((ws(), inner.clone()), 0..6).prop_map(|v| {
                    let items: Vec<String> =
                        v.into_iter().map(|(w, x)| format!("{w}{x}")).collect();
                    format!("[{}]", items.join(","))
                }),
                prop::collection::vec((ws(), prop::sample::select(NAMES), inner), 0..8).prop_map(
                    |v| {
                        let members: Vec<String> = v
                            .into_iter()
                            .map(|(w, k, x)| format!("{w}\"{k}\"{w}:{x}"))
                            .collect();
                        format!("{{{}}}", members.join(","))
                    }
                ),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        #[test]
        fn every_path_agrees_on_random_json(text in value(), cut in any::<prop::sample::Index>(), how in 0..4u8) {
            let mut raw = text.into_bytes();
            let at = cut.index(raw.len() + 1);
            match how {
                // Cut short, one byte dropped, one byte doubled; or left whole.
                0 => raw.truncate(at),
                1 if at < raw.len() => { raw.remove(at); }
                2 if at < raw.len() => { let b = raw[at]; raw.insert(at, b); }
                _ => {}
            }
            compare_paths(&[raw]);
        }
    }
}
