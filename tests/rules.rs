//! One passing and one failing event for every rule of the rules table. A rule added to
//! `src/ecapi/codes.rs` without a case here fails `every_rule_has_a_case`.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use ecapi_scope::ecapi::codes::RULES;
use ecapi_scope::ecapi::normalize::sha256_hex;
use ecapi_scope::engine::lines::{Line, LineReader};
use ecapi_scope::engine::{Engine, EngineConfig, NoLookup, RecordMeta};
use serde_json::{json, Value};

const NOW: i64 = 1_795_784_000;
const MAX_LINE: usize = 64 * 1024;

fn hash() -> String {
    sha256_hex("jane.doe@example.com")
}

fn base() -> Value {
    json!({
        "data_set_id": "ds1",
        "id": "e1",
        "timestamp": NOW - 60,
        "event_type": "purchase",
        "source": "website",
        "value": 30.0,
        "currency_code": "USD",
        "user_data": {
            "email_address": [hash()],
            "event_ip_address": "8.8.4.4",
            "event_user_agent": "Mozilla/5.0 (X11; Linux x86_64)"
        },
        "properties": {"items": [{"id": "sku1", "name": "boot", "price": 10.0, "quantity": 3}]}
    })
}

/// A change to the base event, or a raw line.
enum M {
    Set(&'static str, Value),
    Del(&'static str),
    Raw(String),
}

fn apply(muts: &[M]) -> String {
    let mut v = base();
    for m in muts {
        match m {
            M::Set(ptr, val) => {
                let (parent, key) = ptr.rsplit_once('/').unwrap();
                let target = if parent.is_empty() {
                    &mut v
                } else {
                    v.pointer_mut(parent).unwrap()
                };
                match target {
                    Value::Array(list) => list[key.parse::<usize>().unwrap()] = val.clone(),
                    other => {
                        other
                            .as_object_mut()
                            .unwrap()
                            .insert(key.to_owned(), val.clone());
                    }
                }
            }
            M::Del(ptr) => {
                let (parent, key) = ptr.rsplit_once('/').unwrap();
                let target = if parent.is_empty() {
                    &mut v
                } else {
                    v.pointer_mut(parent).unwrap()
                };
                target.as_object_mut().unwrap().remove(key);
            }
            M::Raw(line) => return line.clone(),
        }
    }
    v.to_string()
}

/// Findings `(code, path)` of the last event reported for these lines.
fn findings(lines: &[String]) -> Vec<(String, String)> {
    let text = lines.join("\n");
    let mut engine = Engine::new(EngineConfig::default());
    let mut reader = LineReader::new(text.as_bytes(), MAX_LINE);
    let mut last = Vec::new();
    let mut sink = |r: &ecapi_scope::engine::report::EventReport| {
        last = r
            .findings
            .iter()
            .map(|f| (f.code.name().to_owned(), f.path.to_string()))
            .collect();
    };
    while let Some(line) = reader.next_line().unwrap() {
        let (line_no, offset) = match &line {
            Line::Record { line, offset, .. } | Line::TooLong { line, offset, .. } => {
                (*line, *offset)
            }
        };
        let meta = RecordMeta {
            line: line_no,
            source: 0,
            received_ms: NOW * 1000,
            locator: offset,
        };
        match line {
            Line::Record { text, .. } => engine.process(text, &meta, &mut NoLookup, &mut sink),
            Line::TooLong { len, .. } => {
                engine.process_too_long(len, MAX_LINE as u64, &meta, &mut sink);
            }
        }
    }
    last
}

struct Case {
    code: &'static str,
    path: &'static str,
    good: Vec<String>,
    bad: Vec<String>,
}

fn case(code: &'static str, path: &'static str, good: &[M], bad: &[M]) -> Case {
    Case {
        code,
        path,
        good: vec![apply(good)],
        bad: vec![apply(bad)],
    }
}

/// Two-line cases (duplicates): the first line is the base event.
fn pair(code: &'static str, path: &'static str, good: &[M], bad: &[M]) -> Case {
    Case {
        code,
        path,
        good: vec![apply(&[]), apply(good)],
        bad: vec![apply(&[]), apply(bad)],
    }
}

fn nested(depth: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..depth {
        v = json!([v]);
    }
    v
}

fn gpp(sid: Value, s: &str) -> Vec<M> {
    vec![
        M::Set("/user_data/gpp_sid", sid),
        M::Set("/user_data/gpp_string", json!(s)),
    ]
}

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    let h = hash();
    let base_text = apply(&[]);
    let reordered = {
        let v = base();
        let mut pairs: Vec<_> = v.as_object().unwrap().iter().collect();
        pairs.reverse();
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{}", json!(k), v))
            .collect();
        format!("{{{}}}", body.join(","))
    };
    let addr = |k: &'static str, v: Value| M::Set("/user_data/address", json!([{k: v}]));
    let prop = |k: &'static str, v: Value| {
        M::Set(Box::leak(format!("/properties/{k}").into_boxed_str()), v)
    };
    vec![
        case(
            "malformed_json",
            "$",
            &[],
            &[M::Raw(r#"{"data_set_id": "#.into())],
        ),
        case(
            "line_too_long",
            "$",
            &[],
            &[M::Set("/ext", json!({"pad": "x".repeat(MAX_LINE)}))],
        ),
        case(
            "nesting_too_deep",
            "$",
            &[M::Set("/ext", json!({"deep": nested(100)}))],
            &[M::Set("/ext", json!({"deep": nested(200)}))],
        ),
        case(
            "too_many_findings",
            "$",
            &[M::Set(
                "/ext",
                json!({"many": (0..200).map(|i| json!({"k": i})).collect::<Vec<_>>()}),
            )],
            &[M::Raw({
                let members: Vec<String> = (0..150).map(|i| format!("\"u{i}\":1")).collect();
                format!(
                    r#"{{"data_set_id":"ds1","id":"e1","timestamp":{},"event_type":"purchase","source":"website",{}}}"#,
                    NOW - 60,
                    members.join(",")
                )
            })],
        ),
        case(
            "not_an_object",
            "$",
            &[M::Raw(format!("[{base_text}]"))],
            &[M::Raw("[42]".into())],
        ),
        case(
            "empty_batch",
            "$",
            &[M::Raw(format!(r#"{{"events":[{base_text}]}}"#))],
            &[M::Raw(r#"{"events":[]}"#.into())],
        ),
        case(
            "duplicate_key",
            "$.value",
            &[],
            &[M::Raw(format!("{{\"value\":30,{}", &base_text[1..]))],
        ),
        case(
            "wrong_type",
            "$.properties.items[0].name",
            &[M::Set("/properties/items/0/name", json!("x"))],
            &[M::Set("/properties/items/0/name", json!(5))],
        ),
        case(
            "not_an_array",
            "$.user_data.email_address",
            &[],
            &[M::Set("/user_data/email_address", json!(h))],
        ),
        case(
            "unknown_field",
            "$.curency_code",
            &[],
            &[M::Set("/curency_code", json!("USD"))],
        ),
        case(
            "misplaced_field",
            "$.email_address",
            &[],
            &[M::Set("/email_address", json!([h]))],
        ),
        case(
            "foreign_field",
            "$.action_source",
            &[],
            &[M::Set("/action_source", json!("website"))],
        ),
        case(
            "enum_invalid",
            "$.source",
            &[M::Set("/source", json!("app"))],
            &[M::Set("/source", json!("web"))],
        ),
        case(
            "number_out_of_range",
            "$.properties.character_level",
            &[prop("character_level", json!(3))],
            &[prop("character_level", json!(-1))],
        ),
        case(
            "control_characters",
            "$.properties.search_term",
            &[prop("search_term", json!("boots"))],
            &[prop("search_term", json!("boots\u{1b}[31m"))],
        ),
        case("untrimmed", "$.id", &[], &[M::Set("/id", json!(" e1"))]),
        case(
            "empty_value",
            "$.user_data.click_id",
            &[M::Set("/user_data/click_id", json!("abc"))],
            &[M::Set("/user_data/click_id", json!(""))],
        ),
        case(
            "data_set_id_missing",
            "$.data_set_id",
            &[],
            &[M::Del("/data_set_id")],
        ),
        case(
            "data_set_id_invalid",
            "$.data_set_id",
            &[],
            &[M::Set("/data_set_id", json!(""))],
        ),
        case("id_missing", "$.id", &[], &[M::Del("/id")]),
        case("id_empty", "$.id", &[], &[M::Set("/id", json!(""))]),
        case(
            "timestamp_missing",
            "$.timestamp",
            &[],
            &[M::Del("/timestamp")],
        ),
        case(
            "timestamp_invalid",
            "$.timestamp",
            &[],
            &[M::Set("/timestamp", json!((NOW - 60).to_string()))],
        ),
        case(
            "timestamp_milliseconds",
            "$.timestamp",
            &[],
            &[M::Set("/timestamp", json!((NOW - 60) * 1000))],
        ),
        case(
            "timestamp_microseconds",
            "$.timestamp",
            &[],
            &[M::Set("/timestamp", json!((NOW - 60) * 1_000_000))],
        ),
        case(
            "timestamp_implausible",
            "$.timestamp",
            &[],
            &[M::Set("/timestamp", json!(12345))],
        ),
        case(
            "timestamp_future",
            "$.timestamp",
            &[M::Set("/timestamp", json!(NOW + 60))],
            &[M::Set("/timestamp", json!(NOW + 7200))],
        ),
        case(
            "timestamp_stale",
            "$.timestamp",
            &[M::Set("/timestamp", json!(NOW - 6 * 86_400))],
            &[M::Set("/timestamp", json!(NOW - 8 * 86_400))],
        ),
        case(
            "event_type_missing",
            "$.event_type",
            &[],
            &[M::Del("/event_type")],
        ),
        case(
            "event_type_unknown",
            "$.event_type",
            &[],
            &[M::Set("/event_type", json!("Purchase"))],
        ),
        case(
            "custom_event_missing",
            "$.custom_event",
            &[
                M::Set("/event_type", json!("custom")),
                M::Set("/custom_event", json!("quote")),
            ],
            &[M::Set("/event_type", json!("custom"))],
        ),
        case(
            "custom_event_ignored",
            "$.custom_event",
            &[],
            &[M::Set("/custom_event", json!("quote"))],
        ),
        case(
            "currency_missing",
            "$.currency_code",
            &[],
            &[M::Del("/currency_code")],
        ),
        case(
            "currency_invalid",
            "$.currency_code",
            &[M::Set("/currency_code", json!("EUR"))],
            &[M::Set("/currency_code", json!("DOLLARS"))],
        ),
        case(
            "currency_lowercase",
            "$.currency_code",
            &[],
            &[M::Set("/currency_code", json!("usd"))],
        ),
        case("value_missing", "$.value", &[], &[M::Del("/value")]),
        case(
            "amount_negative",
            "$.properties.shipping",
            &[prop("shipping", json!(5.0))],
            &[prop("shipping", json!(-5.0))],
        ),
        case(
            "value_items_mismatch",
            "$.value",
            &[M::Set("/value", json!(30))],
            &[M::Set("/value", json!(99.0))],
        ),
        case("source_missing", "$.source", &[], &[M::Del("/source")]),
        case("no_match_keys", "$.user_data", &[], &[M::Del("/user_data")]),
        case(
            "hash_not_sha256",
            "$.user_data.email_address[0]",
            &[],
            &[M::Set("/user_data/email_address", json!([&h[..32]]))],
        ),
        case(
            "unhashed_pii",
            "$.user_data.email_address[0]",
            &[],
            &[M::Set(
                "/user_data/email_address",
                json!(["Jane.Doe@example.com"]),
            )],
        ),
        case(
            "hash_uppercase",
            "$.user_data.email_address[0]",
            &[],
            &[M::Set(
                "/user_data/email_address",
                json!([h.to_uppercase()]),
            )],
        ),
        case(
            "hash_of_placeholder",
            "$.user_data.email_address[0]",
            &[],
            &[M::Set("/user_data/email_address", json!([sha256_hex("")]))],
        ),
        case(
            "ip_invalid",
            "$.user_data.event_ip_address",
            &[],
            &[M::Set("/user_data/event_ip_address", json!("999.1.1.1"))],
        ),
        case(
            "ip_not_public",
            "$.user_data.event_ip_address",
            &[],
            &[M::Set("/user_data/event_ip_address", json!("192.168.1.10"))],
        ),
        case(
            "utcoffset_out_of_range",
            "$.user_data.utcoffset",
            &[M::Set("/user_data/utcoffset", json!(-300))],
            &[M::Set("/user_data/utcoffset", json!(2000))],
        ),
        case(
            "utcoffset_suspect",
            "$.user_data.utcoffset",
            &[M::Set("/user_data/utcoffset", json!(-300))],
            &[M::Set("/user_data/utcoffset", json!(-5))],
        ),
        case(
            "gpp_sid_without_string",
            "$.user_data.gpp_string",
            &gpp(json!([7]), "DBABMA~CPX"),
            &[M::Set("/user_data/gpp_sid", json!([7]))],
        ),
        case(
            "gpp_string_without_sid",
            "$.user_data.gpp_sid",
            &gpp(json!([7]), "DBABMA~CPX"),
            &[M::Set("/user_data/gpp_string", json!("DBABMA~CPX"))],
        ),
        case(
            "gpp_string_invalid",
            "$.user_data.gpp_string",
            &gpp(json!([7]), "DBABMA~CPX"),
            &gpp(json!([7]), "DB AB"),
        ),
        case(
            "gpp_sid_header",
            "$.user_data.gpp_sid[0]",
            &gpp(json!([7]), "DBABMA~CPX"),
            &gpp(json!([3]), "DBABMA~CPX"),
        ),
        case(
            "ifa_zeroed",
            "$.user_data.ifa",
            &[M::Set(
                "/user_data/ifa",
                json!("6d92078a-8246-4ba4-ae5b-76104861e7dc"),
            )],
            &[M::Set(
                "/user_data/ifa",
                json!("00000000-0000-0000-0000-000000000000"),
            )],
        ),
        case(
            "country_code_invalid",
            "$.user_data.address[0].country_code",
            &[addr("country_code", json!("gb"))],
            &[addr("country_code", json!("uk"))],
        ),
        case(
            "not_normalized",
            "$.user_data.address[0].city",
            &[addr("city", json!("new york"))],
            &[addr("city", json!("New York"))],
        ),
        case(
            "uid_source_invalid",
            "$.user_data.uids[0].source",
            &[M::Set(
                "/user_data/uids",
                json!([{"id": h, "source": "liveramp.com", "atype": 1}]),
            )],
            &[M::Set(
                "/user_data/uids",
                json!([{"id": h, "source": "LiveRamp", "atype": 1}]),
            )],
        ),
        case(
            "date_invalid",
            "$.properties.arrival_date",
            &[prop("arrival_date", json!("2026-12-01"))],
            &[prop("arrival_date", json!("2026-02-30"))],
        ),
        case(
            "date_order",
            "$.properties.lease_end_date",
            &[
                prop("lease_start_date", json!("20260101")),
                prop("lease_end_date", json!("20270101")),
            ],
            &[
                prop("lease_start_date", json!("20270101")),
                prop("lease_end_date", json!("20260101")),
            ],
        ),
        case(
            "airport_code_invalid",
            "$.properties.destination_airport",
            &[prop("destination_airport", json!("JFK"))],
            &[prop("destination_airport", json!("jfk"))],
        ),
        case(
            "url_invalid",
            "$.properties.page_url",
            &[prop("page_url", json!("https://shop.example/p/1"))],
            &[prop("page_url", json!("shop.example/p/1"))],
        ),
        case(
            "vin_invalid",
            "$.properties.vin",
            &[prop("vin", json!("1HGCM82633A004352"))],
            &[prop("vin", json!("1HGCM82633A00435"))],
        ),
        case(
            "quantity_invalid",
            "$.properties.items[0].quantity",
            &[],
            &[M::Set("/properties/items/0/quantity", json!(0))],
        ),
        pair(
            "duplicate_exact",
            "$.id",
            &[M::Set("/id", json!("e2"))],
            &[M::Raw(reordered)],
        ),
        pair(
            "duplicate_conflict",
            "$.id",
            &[
                M::Set("/id", json!("e2")),
                M::Set("/properties/items/0/name", json!("shoe")),
            ],
            &[M::Set("/properties/items/0/name", json!("shoe"))],
        ),
        pair(
            "id_reused",
            "$.id",
            &[
                M::Set("/id", json!("e2")),
                M::Set("/event_type", json!("refund")),
            ],
            &[M::Set("/event_type", json!("refund"))],
        ),
        pair(
            "id_in_other_data_set",
            "$.id",
            &[
                M::Set("/id", json!("e2")),
                M::Set("/data_set_id", json!("ds2")),
            ],
            &[M::Set("/data_set_id", json!("ds2"))],
        ),
    ]
}

#[test]
fn base_event_is_clean() {
    assert_eq!(findings(&[apply(&[])]), vec![]);
}

#[test]
fn every_rule_has_a_case() {
    let cases = cases();
    let missing: Vec<_> = RULES
        .iter()
        .filter(|r| !cases.iter().any(|c| c.code == r.name))
        .map(|r| r.name)
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
}

#[test]
fn each_rule_passes_the_good_event_and_flags_the_bad_one() {
    let mut failures = Vec::new();
    for c in cases() {
        let good = findings(&c.good);
        if good.iter().any(|(code, _)| code == c.code) {
            failures.push(format!("{}: flagged on the good event: {good:?}", c.code));
        }
        let bad = findings(&c.bad);
        if !bad
            .iter()
            .any(|(code, path)| code == c.code && path == c.path)
        {
            failures.push(format!(
                "{}: expected at {} on the bad event, got {bad:?}",
                c.code, c.path
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The timestamp warnings keep their numbers and are worded only when an output asks (#11):
/// the words must be what the ndjson contract always carried.
#[test]
fn deferred_timestamp_messages_read_as_before() {
    let messages = |line: String| {
        let mut engine = Engine::new(EngineConfig::default());
        let meta = RecordMeta {
            line: 1,
            source: 0,
            received_ms: NOW * 1000,
            locator: 0,
        };
        let mut out = Vec::new();
        engine.process(line.as_bytes(), &meta, &mut NoLookup, &mut |r| {
            out.extend(r.findings.iter().map(|f| f.message.to_string()));
        });
        out
    };
    let stale = apply(&[M::Set("/timestamp", json!(NOW - 8 * 86_400 - 3600))]);
    assert_eq!(
        messages(stale),
        ["2026-11-19T11:53:20Z is 8 d 1 h before arrival"]
    );
    // A deferred message equals the text it makes.
    let deferred = ecapi_scope::engine::report::Message::Stale {
        time: NOW - 8 * 86_400 - 3600,
        age: 8 * 86_400 + 3600,
    };
    assert_eq!(
        deferred,
        ecapi_scope::engine::report::Message::from(
            "2026-11-19T11:53:20Z is 8 d 1 h before arrival"
        )
    );
    let future = apply(&[M::Set("/timestamp", json!(NOW + 7200 + 60))]);
    assert_eq!(
        messages(future),
        ["2026-11-27T14:54:20Z is 2 h 1 min after arrival"]
    );
}
