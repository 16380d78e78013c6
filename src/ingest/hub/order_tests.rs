//! Several validator threads, one order: the hub commits records in the order the sources
//! handed them over, whichever thread validated them, so that "first" and "duplicate" mean
//! what they say.

use super::stages::{InOrder, Validated};
use super::{Hub, Origin, Output};
use crate::config::Settings;
use crate::engine::report::EventReport;
use crate::ingest::{Body, Record};
use std::sync::{Arc, Mutex};

type Seen = Arc<Mutex<Vec<(u64, String, bool)>>>;

/// Keeps (record number, event id, reported as a duplicate) of every report.
struct Keep(Seen);

impl Output for Keep {
    fn event(&mut self, r: &EventReport, origin: &Origin) {
        let id = r.id.unwrap_or("-").to_owned();
        if let Ok(mut seen) = self.0.lock() {
            seen.push((origin.record, id, r.duplicate.is_some()));
        }
    }
}

fn record(line: u64, id: &str) -> Record {
    let body = format!(
        r#"{{"data_set_id":"ds","id":"{id}","event_type":"purchase","timestamp":1795784000000}}"#
    );
    Record {
        source: 0,
        received_ms: 1_795_784_000_000,
        line,
        body: Body::Raw(bytes::Bytes::from(body)),
        label: None,
        reply: None,
        upstream: None,
        ack: None,
        message: None,
    }
}

#[test]
fn four_validators_commit_in_the_order_records_arrived() {
    let seen: Seen = Arc::default();
    let hub = Hub::new(
        &Settings::default(),
        None,
        &[],
        Box::new(Keep(Arc::clone(&seen))),
        None,
    )
    .with_validators(4);
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let running = std::thread::spawn(move || hub.run(rx));
    // Batches of 1 to 7 records, so that the threads take them in small, uneven pieces; every
    // tenth record repeats the id of the one 5 before it, a duplicate only if it comes later.
    let mut sent = Vec::new();
    let mut line = 0u64;
    for size in (0..3000u64).map(|i| 1 + i % 7) {
        let batch = (0..size)
            .map(|_| {
                line += 1;
                let id = if line.is_multiple_of(10) {
                    format!("e-{}", line - 5)
                } else {
                    format!("e-{line}")
                };
                sent.push(id.clone());
                record(line, &id)
            })
            .collect();
        tx.blocking_send(batch).expect("the hub takes records");
    }
    drop(tx);
    let (summary, _) = running.join().expect("the hub ends when its sources do");
    assert_eq!(summary.events, line);
    let seen = seen.lock().expect("no output panicked").clone();
    assert_eq!(seen.len(), sent.len());
    let misplaced = seen.iter().zip(&sent).position(|((_, id, _), s)| id != s);
    assert_eq!(misplaced, None, "reported in the order sent");
    for (i, (record, id, duplicate)) in seen.iter().enumerate() {
        assert_eq!(*record, i as u64 + 1, "record numbers follow arrival");
        let n = i as u64 + 1;
        assert_eq!(*duplicate, n.is_multiple_of(10), "{id}, record {n}");
    }
}

fn numbered(seq: Option<u64>) -> Validated {
    Validated {
        seq,
        ..Validated::default()
    }
}

#[test]
fn batches_wait_for_the_ones_before_them_and_lane_batches_do_not_wait() {
    let mut order = InOrder::default();
    let mut group = Vec::new();
    order.admit(numbered(Some(2)), &mut group);
    order.admit(numbered(Some(1)), &mut group);
    order.admit(numbered(None), &mut group);
    assert_eq!(group.iter().map(|b| b.seq).collect::<Vec<_>>(), [None]);
    order.admit(numbered(Some(0)), &mut group);
    order.admit(numbered(Some(4)), &mut group);
    let seqs: Vec<_> = group.iter().map(|b| b.seq).collect();
    assert_eq!(seqs, [None, Some(0), Some(1), Some(2)]);
    group.clear();
    order.rest(&mut group);
    assert_eq!(group.iter().map(|b| b.seq).collect::<Vec<_>>(), [Some(4)]);
}
