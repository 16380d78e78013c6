//! Shared helpers for the source tests: start a source on a channel and wait for records or
//! states with a deadline (a hang detector, never a timing assumption).

#![allow(dead_code)]

use ecapi_scope::ingest::spec::SourceSpec;
use ecapi_scope::ingest::status::{SourceState, SourceStatus};
use ecapi_scope::ingest::{Body, Ctx, IngestOptions, Record};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub const DEADLINE: Duration = Duration::from_secs(30);

pub struct Harness {
    pub rx: mpsc::Receiver<Vec<Record>>,
    pub tx: mpsc::Sender<Vec<Record>>,
    pub status: Arc<SourceStatus>,
    pub handle: tokio::task::JoinHandle<()>,
}

pub fn fast_options() -> IngestOptions {
    IngestOptions {
        poll: Duration::from_millis(20),
        ..IngestOptions::default()
    }
}

pub fn start(spec: &str, opts: IngestOptions) -> Harness {
    let (tx, rx) = mpsc::channel(1024);
    let status = Arc::new(SourceStatus::new(spec));
    let ctx = Ctx {
        id: 0,
        status: Arc::clone(&status),
        tx: tx.clone(),
        opts: Arc::new(opts),
        lane: None,
    };
    let handle = ecapi_scope::ingest::spawn(SourceSpec::parse(spec).unwrap(), ctx);
    Harness {
        rx,
        tx,
        status,
        handle,
    }
}

impl Harness {
    /// The next `n` records.
    pub async fn records(&mut self, n: usize) -> Vec<Record> {
        let mut out = Vec::new();
        let fill = async {
            while out.len() < n {
                match self.rx.recv().await {
                    Some(batch) => out.extend(batch),
                    None => break,
                }
            }
        };
        tokio::time::timeout(DEADLINE, fill)
            .await
            .expect("records did not arrive in time");
        out
    }

    pub async fn state(&self, pred: impl Fn(&SourceState) -> bool) -> SourceState {
        tokio::time::timeout(DEADLINE, self.status.wait_for(pred))
            .await
            .expect("state not reached in time")
    }

    /// The address the listener bound, once it listens.
    pub async fn listening(&self) -> String {
        match self
            .state(|s| matches!(s, SourceState::Listening(_) | SourceState::Failed(_)))
            .await
        {
            SourceState::Listening(addr) => addr,
            other => panic!("not listening: {other:?}"),
        }
    }
}

pub fn text(r: &Record) -> String {
    match &r.body {
        Body::Raw(raw) => String::from_utf8_lossy(raw).into_owned(),
        Body::TooLong(n) => format!("<too long: {n}>"),
    }
}

pub fn texts(rs: &[Record]) -> Vec<String> {
    rs.iter().map(text).collect()
}
