//! Replaying live sources (`replay tcp-listen://… --to URL`): records arrive through the same
//! pipeline `watch` uses, each event is judged there (duplicates included), filtered, held back
//! if invalid, given a fresh id if asked, and sent as it comes, with the same retries. Sending
//! runs on its own runtime, so that stopping the sources never cuts an exchange short.

use super::edit::{rewrite, Edit};
use super::prepare::{Ids, Origin, Request, Sent};
use super::send::{Exchange, Sender};
use crate::cli::SourceArgs;
use crate::engine::report::{EventReport, Status};
use crate::filter::{Filter, Subject};
use crate::ingest::hub::{Origin as HubOrigin, Output};
use crate::jsontext::BatchElements;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Events waiting to be sent; past this the hub (and so the sources) wait.
pub const QUEUED: usize = 1024;

/// What a live replay counted besides its exchanges.
#[derive(Default)]
pub struct Counts {
    pub held: AtomicU64,
    pub filtered_out: AtomicU64,
    pub not_sent: AtomicU64,
}

/// The hub's output: each event, shaped and queued for sending.
pub struct Feed {
    pub tx: tokio::sync::mpsc::Sender<Request>,
    pub filter: Option<Filter>,
    pub ids: Ids,
    pub send_invalid: bool,
    pub elements: BatchElements,
    pub counts: Arc<Counts>,
    pub rng: fastrand::Rng,
}

impl Output for Feed {
    fn event(&mut self, report: &EventReport, origin: &HubOrigin) {
        let text = self.elements.of(origin.raw, origin.record, report.index);
        if let Some(f) = &self.filter {
            if !f.matches(&Subject::of(report, origin.label, text)) {
                self.counts.filtered_out.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        if matches!(report.status, Status::Error | Status::Malformed) && !self.send_invalid {
            let n = self.counts.held.fetch_add(1, Ordering::Relaxed);
            if n < 5 {
                let why = report.findings.iter().max_by_key(|f| f.severity());
                super::command::say(&format!(
                    "held back line {} of {}: {}{}",
                    report.line,
                    crate::output::safe::safe(origin.label),
                    report.status.name(),
                    why.map_or(String::new(), |f| format!(": {}", f.code.name()))
                ));
            }
            return;
        }
        let fresh = (self.ids == Ids::Fresh).then(|| super::prepare::fresh_id(&mut self.rng));
        let (body, original) = rewrite(
            text,
            &Edit {
                id: fresh.as_deref(),
                shift_secs: 0,
            },
        );
        let sent = Sent {
            origin: Origin {
                input: report.source as usize,
                line: report.line,
                index: report.index,
                label: Some(origin.label.to_owned()),
            },
            id: fresh.clone().or_else(|| report.id.map(str::to_owned)),
            original_id: fresh.and(original),
            status: report.status,
        };
        let request = Request {
            body,
            events: vec![sent],
        };
        // Waits when the sender is behind: the sources slow down rather than memory growing.
        if self.tx.blocking_send(request).is_err() {
            self.counts.not_sent.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `blocking_send` cannot run on a runtime's worker: HTTP requests are committed on the
    /// hub thread.
    fn on_workers(&self) -> bool {
        false
    }
}

/// Sends what the feed queues, `concurrency` at once, until the queue closes or the sender is
/// stopped (what is left is counted as not sent); each exchange goes to `done` with its request.
pub async fn dispatch(
    mut rx: tokio::sync::mpsc::Receiver<Request>,
    sender: Arc<Sender>,
    concurrency: usize,
    counts: Arc<Counts>,
    done: std::sync::mpsc::Sender<(Exchange, Request)>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut n = 0usize;
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let next = tokio::select! {
            r = rx.recv() => r,
            () = sender.until_stopped() => None,
        };
        let Some(request) = next else { break };
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let (sender, done) = (Arc::clone(&sender), done.clone());
        let k = n;
        n += 1;
        tasks.spawn(async move {
            let x = sender.exchange(k, request.body.clone(), 1).await;
            drop(slot);
            let _ = done.send((x, request));
        });
    }
    rx.close();
    while rx.recv().await.is_some() {
        counts.not_sent.fetch_add(1, Ordering::Relaxed);
    }
    while tasks.join_next().await.is_some() {}
}

/// The listener defaults `watch` has, and `--no-follow`.
pub fn source_args(no_follow: bool) -> Result<SourceArgs, String> {
    use clap::Parser;
    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        source: SourceArgs,
    }
    let mut argv = vec!["replay"];
    if no_follow {
        argv.push("--no-follow");
    }
    Wrap::try_parse_from(argv)
        .map(|w| w.source)
        .map_err(|e| e.to_string())
}
