//! The differential test of the walk's two parsing paths (#11): text already checked as UTF-8
//! (what every record takes) against bytes checked string by string (the old path, kept for
//! records that are not UTF-8). Every record of generated traffic with every fault kind, and
//! hostile records besides, must give the same events, findings and hashes both ways.

use super::{RecordSeed, Walk, WalkConfig};
use crate::gen::{generate, GenOptions};
use serde::de::DeserializeSeed;

impl Walk {
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

#[test]
fn text_and_bytes_paths_agree_on_every_record() {
    let mut fast = Walk::new(WalkConfig::default());
    let mut reference = Walk::new(WalkConfig::default());
    let mut compared = 0;
    let mut inputs: Vec<Vec<u8>> = HOSTILE.iter().map(|r| r.to_vec()).collect();
    for (seed, batch) in [(1, 1), (2, 1), (3, 25)] {
        inputs.extend(
            traffic(seed, batch)
                .split(|&b| b == b'\n')
                .map(<[u8]>::to_vec),
        );
    }
    for raw in &inputs {
        let a = fast.run(raw, NOW);
        let a = outcome(&fast, a);
        let b = reference.run_from_bytes(raw, NOW);
        let b = outcome(&reference, b);
        assert_eq!(a, b, "record {}", String::from_utf8_lossy(raw));
        compared += 1;
    }
    assert!(compared > 8_000, "{compared}");
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
