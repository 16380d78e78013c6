//! The HTTP endpoint's direct lane when the stages cannot take more: the record comes back
//! whole, its sender still waiting, for the usual way (`http::hand_over`); once the hub is
//! gone, the lane says so.

use super::{Hub, LaneRefused, NoOutput, STAGE_QUEUE};
use crate::config::Settings;
use crate::ingest::{Body, Record, Reply};
use tokio::sync::oneshot;

fn record(line: u64) -> (Record, oneshot::Receiver<Reply>) {
    let (reply, answer) = oneshot::channel();
    let body = format!(r#"{{"data_set_id":"ds","id":"e-{line}","event_type":"purchase"}}"#);
    let rec = Record {
        source: 0,
        received_ms: 1_795_784_000_000,
        line,
        body: Body::Raw(bytes::Bytes::from(body)),
        label: None,
        reply: Some(reply),
        upstream: None,
        ack: None,
        message: None,
    };
    (rec, answer)
}

#[test]
fn regression_a_full_lane_gives_the_record_back_with_its_reply() {
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(NoOutput), None);
    let lane = hub.lane().expect("a hub that has not started has its lane");
    // Nothing drains the stages' queue: the hub is not running.
    let mut waiting = Vec::new();
    for line in 1..=STAGE_QUEUE as u64 {
        let (rec, answer) = record(line);
        assert!(lane.send(rec).is_ok(), "record {line} fits the queue");
        waiting.push(answer);
    }
    let (rec, mut answer) = record(1000);
    let Err(LaneRefused::Full(back)) = lane.send(rec) else {
        panic!("a full queue must give the record back");
    };
    assert_eq!(back.line, 1000);
    let Body::Raw(raw) = &back.body else {
        panic!("the body comes back as it was sent");
    };
    assert!(raw.ends_with(br#""id":"e-1000","event_type":"purchase"}"#));
    assert!(
        back.reply.is_some(),
        "the sender's reply channel comes back with it"
    );
    assert!(
        matches!(answer.try_recv(), Err(oneshot::error::TryRecvError::Empty)),
        "nobody answered the sender: it still waits"
    );
    // The queued records were neither answered nor dropped while they wait.
    for mut queued in waiting.drain(..) {
        assert!(matches!(
            queued.try_recv(),
            Err(oneshot::error::TryRecvError::Empty)
        ));
    }
    drop(back);
    drop(hub);
    let (rec, _answer) = record(1001);
    assert!(
        matches!(lane.send(rec), Err(LaneRefused::Closed)),
        "once the hub is gone the lane is closed"
    );
}
