//! The HTTP endpoint's direct lane: a request is committed on the thread that received it,
//! grouped with whatever queued meanwhile; no queued request waits unseen while threads race
//! for the core; once the hub has ended, the lane says so.

use super::{Hub, Lane, LaneClosed, NoOutput};
use crate::config::Settings;
use crate::ingest::{Body, Record, Reply};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// A hang detector, not a timing assumption.
const DEADLINE: Duration = Duration::from_secs(30);

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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn a_request_is_answered_when_the_lane_returns() {
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(NoOutput), None);
    let lane = hub.lane().expect("a hub has its lane");
    let (rec, mut answer) = record(1);
    runtime()
        .block_on(lane.send(rec))
        .expect("the hub takes it");
    let reply = answer
        .try_recv()
        .expect("committed on this thread: answered already");
    assert_eq!(reply.usable, 1);
    drop(lane);
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    drop(tx);
    let (summary, _) = hub.run(rx);
    assert_eq!(summary.events, 1, "counted once");
}

/// Polls `f` once.
async fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *f).poll(cx))).await
}

/// `lane.send(rec)`, polled until it yields: the request waiting to commit.
async fn waiting_to_commit(
    lane: &Lane,
    rec: Record,
) -> std::pin::Pin<Box<impl std::future::Future<Output = Result<(), LaneClosed>> + '_>> {
    let mut waiting = Box::pin(lane.send(rec));
    assert!(
        poll_once(&mut waiting).await.is_pending(),
        "it yields first"
    );
    waiting
}

#[test]
fn requests_queued_while_one_waits_to_commit_are_committed_with_it() {
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(NoOutput), None);
    let lane = hub.lane().expect("a hub has its lane");
    runtime().block_on(async {
        let (one, mut first) = record(1);
        let (two, mut second) = record(2);
        let waiting = waiting_to_commit(&lane, one).await;
        lane.send(two).await.expect("the hub takes it");
        assert!(
            matches!(second.try_recv(), Err(oneshot::error::TryRecvError::Empty)),
            "queued, left to the request waiting to commit"
        );
        waiting.await.expect("the hub takes it");
        assert_eq!(first.try_recv().map(|r| r.usable).ok(), Some(1));
        assert_eq!(second.try_recv().map(|r| r.usable).ok(), Some(1));
    });
}

#[test]
fn regression_a_request_dropped_while_it_waited_to_commit_left_every_later_one_queued() {
    // Its sender left (hyper drops the request) while it yielded: nothing committed the
    // batches that queued behind it, and no later request committed either.
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(NoOutput), None);
    let lane = hub.lane().expect("a hub has its lane");
    runtime().block_on(async {
        let (one, _gone) = record(1);
        let (two, mut second) = record(2);
        let waiting = waiting_to_commit(&lane, one).await;
        lane.send(two).await.expect("the hub takes it");
        drop(waiting);
        assert_eq!(
            second.try_recv().map(|r| r.usable).ok(),
            Some(1),
            "committed when the waiting request went"
        );
        let (three, mut third) = record(3);
        lane.send(three).await.expect("the hub takes it");
        assert_eq!(third.try_recv().map(|r| r.usable).ok(), Some(1));
    });
}

#[test]
fn a_full_queue_is_committed_at_once() {
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(NoOutput), None);
    let lane = hub.lane().expect("a hub has its lane");
    runtime().block_on(async {
        let (one, _first) = record(1);
        let waiting = waiting_to_commit(&lane, one).await;
        let mut answers = Vec::new();
        for line in 2..=super::GROUP_MAX as u64 {
            let (rec, answer) = record(line);
            lane.send(rec).await.expect("the hub takes it");
            answers.push(answer);
        }
        assert!(
            answers.iter_mut().all(|a| a.try_recv().is_ok()),
            "the request that filled the queue committed it"
        );
        waiting.await.expect("the hub takes it");
    });
}

#[test]
fn regression_requests_on_a_thread_that_never_parked_waited_for_the_hubs_idle_pass() {
    // The endpoint's connection threads left the commit to their park; a thread kept busy
    // (here by a task that always has more to do; for real, a client pipelining requests
    // answered without the lane) never parked, and nothing committed the request but the hub
    // thread's idle pass (not running here).
    use crate::ingest::conn_threads::ConnThreads;
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(NoOutput), None);
    let lane = hub.lane().expect("a hub has its lane");
    let threads = ConnThreads::start("test-busy", 1).expect("a connection thread");
    let mut tasks = tokio::task::JoinSet::new();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy = Arc::clone(&stop);
    threads.spawn(&mut tasks, async move {
        while !busy.load(Ordering::Relaxed) {
            tokio::task::yield_now().await;
        }
    });
    let (tx, rx) = std::sync::mpsc::channel();
    threads.spawn(&mut tasks, async move {
        let (rec, answer) = record(1);
        let sent = lane.send(rec).await.is_ok();
        let _ = tx.send(sent && matches!(answer.await, Ok(reply) if reply.usable == 1));
    });
    let answered = rx.recv_timeout(DEADLINE);
    stop.store(true, Ordering::Relaxed);
    assert_eq!(answered, Ok(true), "answered (hang detector)");
}

#[test]
fn regression_no_queued_request_waits_unseen() {
    // The hub's idle pass would commit a stranded request within 100 ms: an hour, here.
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(NoOutput), None)
        .with_idle(Duration::from_secs(3600));
    let lane = hub.lane().expect("a hub has its lane");
    // The hub thread runs, as it does for real: a worker that committed its share of groups
    // hands the rest to it.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let running = std::thread::spawn(move || hub.run(rx));
    let (threads, each) = (8u64, 400u64);
    // Rounds: every thread sends at once, then waits for its answer. A request left in the
    // queue unseen is then never committed (nobody sends again until the round ends).
    let round = Arc::new(std::sync::Barrier::new(threads as usize));
    let unanswered = Arc::new(AtomicU64::new(0));
    let senders: Vec<_> = (0..threads)
        .map(|t| {
            let (lane, round, unanswered) = (lane.clone(), round.clone(), unanswered.clone());
            std::thread::spawn(move || {
                runtime().block_on(async {
                    for i in 0..each {
                        round.wait();
                        let (rec, answer) = record(t * each + i + 1);
                        lane.send(rec).await.expect("the hub takes it");
                        // Not answered within the deadline: counted, and the rounds go on (a
                        // thread that stopped would leave the others at the barrier).
                        let answered = tokio::time::timeout(DEADLINE, answer).await;
                        if !matches!(answered, Ok(Ok(reply)) if reply.usable == 1) {
                            unanswered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            })
        })
        .collect();
    for s in senders {
        s.join().expect("no sender panicked");
    }
    assert_eq!(
        unanswered.load(Ordering::Relaxed),
        0,
        "every queued request is committed by someone, and answered"
    );
    drop(lane);
    drop(tx);
    let (summary, _) = running
        .join()
        .expect("the hub ends when its lanes and sources do");
    assert_eq!(summary.events, threads * each);
}

#[test]
fn once_the_hub_has_ended_the_lane_is_closed() {
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(NoOutput), Some(1));
    let lane = hub.lane().expect("a hub has its lane");
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let running = std::thread::spawn(move || hub.run(rx));
    let rt = runtime();
    let (rec, answer) = record(1);
    rt.block_on(lane.send(rec)).expect("the first is taken");
    assert_eq!(answer.blocking_recv().map(|r| r.usable).ok(), Some(1));
    // --max-events 1 was reached here: the lane woke the hub, which ends.
    let (summary, _) = running.join().expect("the hub ends");
    assert_eq!(summary.events, 1);
    let (rec, _answer) = record(2);
    assert!(matches!(rt.block_on(lane.send(rec)), Err(LaneClosed)));
    drop(tx);
}

/// Queues one more request at the end of each committed batch, `more` times: what steady
/// traffic does while a thread commits.
struct Requeue {
    shared: Arc<std::sync::OnceLock<Arc<super::core::Shared>>>,
    more: u64,
    answers: Arc<std::sync::Mutex<Vec<oneshot::Receiver<Reply>>>>,
}

impl super::Output for Requeue {
    fn event(&mut self, _: &crate::engine::report::EventReport, _: &super::Origin) {}

    fn end_batch(&mut self, _: &crate::engine::aggregate::Aggregates) {
        if self.more == 0 {
            return;
        }
        self.more -= 1;
        let (rec, answer) = record(100 + self.more);
        if let Ok(mut answers) = self.answers.lock() {
            answers.push(answer);
        }
        if let Some(shared) = self.shared.get() {
            assert!(shared.queue(too_long(rec)).is_some());
        }
    }
}

/// A batch of one record already judged (too long: no events to validate).
fn too_long(rec: Record) -> super::stages::Validated {
    super::stages::Validated {
        records: vec![(rec, super::stages::Outcome::TooLong(5))],
        ..super::stages::Validated::default()
    }
}

#[test]
fn a_worker_commits_a_few_groups_then_leaves_the_rest_to_the_hub_thread() {
    use super::core::Drained;
    let slot = Arc::new(std::sync::OnceLock::new());
    let answers = Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = Requeue {
        shared: Arc::clone(&slot),
        more: 10,
        answers: Arc::clone(&answers),
    };
    let hub = Hub::new(&Settings::default(), None, &[], Box::new(out), None);
    let _ = slot.set(Arc::clone(&hub.shared));
    let (rec, first) = record(1);
    assert!(hub.shared.queue(too_long(rec)).is_some());
    assert_eq!(hub.shared.commit_queued(), Drained::Left);
    let mut answers = std::mem::take(&mut *answers.lock().expect("not poisoned"));
    assert_eq!(answers.len(), super::core::LANE_ROUNDS);
    let waiting = answers.pop().expect("the last one queued");
    assert!(
        answers.iter_mut().all(|a| a.try_recv().is_ok()),
        "committed in the worker's rounds"
    );
    let mut waiting = waiting;
    assert!(
        waiting.try_recv().is_err(),
        "left to the hub thread, not committed"
    );
    drop(first);
    assert_eq!(hub.shared.commit_waiting(), Drained::Done);
    assert!(
        waiting.try_recv().is_ok(),
        "the hub thread committed the rest"
    );
}
