//! Listener limits, so that no client can hold the endpoint or the socket listeners: a cap on
//! concurrent connections (at the cap, the connection idle longest is closed to make room, so
//! idle and slow clients cannot lock others out), an idle timeout, and a budget of the body
//! and unfinished-line bytes held at once across connections. The HTTP listeners' header
//! timeout is kept here too (`Conn::head_late`, watched by `serve`); the body timeout is
//! applied as a body is read (`body`).

use super::status::SourceStatus;
use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// The limits, from the command line.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_connections: usize,
    /// An HTTP connection with no request and nothing read for this long is closed.
    pub idle_timeout: Duration,
    /// Request headers (and the wait for the next request on a kept-alive connection) must
    /// arrive within this, counted from the accept or from the last write of an answer (not
    /// while an answer waits for its reader to take it).
    pub header_timeout: Duration,
    /// A request body must arrive within this.
    pub body_timeout: Duration,
    /// Body and unfinished-line bytes held at once, per listener.
    pub inflight_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            idle_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            inflight_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Budget permits are KiB, so that any size fits a semaphore's count.
const UNIT: usize = 1024;

fn units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX)
}

/// One accepted connection, as the gate sees it.
pub struct Conn {
    /// Milliseconds since the gate's epoch of the last byte read or request finished.
    last: AtomicU64,
    /// The same, of when the connection was accepted or last wrote or finished answering: from
    /// then on it waits for the next request's head.
    free: AtomicU64,
    /// An answer's write is waiting for the reader to take bytes: not waiting for a head.
    writing: AtomicBool,
    busy: AtomicUsize,
    close: Notify,
    epoch: Instant,
}

impl Conn {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) {
        self.last.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Notes an answer's progress (or the accept): the wait for a head starts again.
    fn freed(&self) {
        let now = self.now_ms();
        self.last.store(now, Ordering::Relaxed);
        self.free.store(now, Ordering::Relaxed);
    }

    /// Marks a request in progress until the guard is dropped.
    pub fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::Relaxed);
        Busy(Arc::clone(self))
    }

    /// Resolves when the gate closes this connection to make room for another.
    pub async fn evicted(&self) {
        self.close.notified().await;
    }

    /// Resolves once the connection had no request and read nothing for `timeout`.
    pub async fn idle(&self, timeout: Duration) {
        self.quiet_for(&self.last, None, timeout).await;
    }

    /// Resolves once the connection waited `timeout` for a request's head (bytes of it may
    /// have come): since it was accepted, or since it last wrote or finished an answer, with
    /// no request begun. The HTTP listeners' header timeout, kept here rather than by hyper,
    /// which armed and dropped a timer for every request.
    pub async fn head_late(&self, timeout: Duration) {
        self.quiet_for(&self.free, Some(&self.writing), timeout)
            .await;
    }

    /// Resolves once `mark` stayed as it was for `timeout` with no request in progress (nor,
    /// when given, `also` set). One timer, re-armed only when it expires: nothing per request.
    async fn quiet_for(&self, mark: &AtomicU64, also: Option<&AtomicBool>, timeout: Duration) {
        loop {
            let seen = mark.load(Ordering::Relaxed);
            let deadline = self.epoch + Duration::from_millis(seen) + timeout;
            tokio::time::sleep_until(deadline.into()).await;
            let quiet = mark.load(Ordering::Relaxed) == seen;
            let held = also.is_some_and(|a| a.load(Ordering::Relaxed));
            if quiet && self.busy.load(Ordering::Relaxed) == 0 && !held {
                return;
            }
            if quiet {
                // Busy (the pipeline is slow to answer): look again later.
                tokio::time::sleep(timeout).await;
            }
        }
    }
}

/// A request in progress on a connection.
pub struct Busy(Arc<Conn>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.freed();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Admission of connections and the byte budget of one listener.
pub struct Gate {
    max: usize,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    budget: Arc<Semaphore>,
    budget_units: u32,
    at_cap: AtomicBool,
    epoch: Instant,
    status: Arc<SourceStatus>,
}

/// A connection admitted by the gate; dropping it frees its place.
pub struct Admission {
    gate: Arc<Gate>,
    id: u64,
    pub conn: Arc<Conn>,
}

impl Drop for Admission {
    fn drop(&mut self) {
        if let Ok(mut conns) = self.gate.conns.lock() {
            conns.remove(&self.id);
        }
    }
}

impl Gate {
    /// A gate for a listener; `floor` is the least budget that lets one allowed body in.
    pub fn new(limits: &Limits, floor: usize, status: Arc<SourceStatus>) -> Arc<Gate> {
        let budget_units = units(limits.inflight_bytes.max(floor));
        Arc::new(Gate {
            max: limits.max_connections.min(fd_room()).max(1),
            conns: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            budget: Arc::new(Semaphore::new(budget_units as usize)),
            budget_units,
            at_cap: AtomicBool::new(false),
            epoch: Instant::now(),
            status,
        })
    }

    /// The connection cap in effect (the configured one, lowered to fit `ulimit -n`).
    pub fn max_connections(&self) -> usize {
        self.max
    }

    /// Admits a connection. At the cap, the connection idle longest is closed to make room;
    /// `None` (refuse this one) only when every connection is in the middle of a request.
    pub fn admit(self: &Arc<Self>) -> Option<Admission> {
        let mut conns = self.conns.lock().ok()?;
        if conns.len() >= self.max {
            if !self.at_cap.swap(true, Ordering::Relaxed) {
                self.status.error(format!(
                    "connection limit of {} reached (--max-connections, ulimit -n): the \
                     longest-idle connections are closed to make room",
                    self.max
                ));
            }
            let victim = conns
                .iter()
                .filter(|(_, c)| c.busy.load(Ordering::Relaxed) == 0)
                .min_by_key(|(_, c)| c.last.load(Ordering::Relaxed))
                .map(|(id, _)| *id);
            let Some(conn) = victim.and_then(|id| conns.remove(&id)) else {
                self.status.error(format!(
                    "connection limit of {} reached and every connection is busy: a new \
                     connection was refused",
                    self.max
                ));
                return None;
            };
            conn.close.notify_one();
        } else if conns.len() < self.max * 9 / 10 {
            self.at_cap.store(false, Ordering::Relaxed);
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            last: AtomicU64::new(0),
            free: AtomicU64::new(0),
            writing: AtomicBool::new(false),
            busy: AtomicUsize::new(0),
            close: Notify::new(),
            epoch: self.epoch,
        });
        conn.freed();
        conns.insert(id, Arc::clone(&conn));
        Some(Admission {
            gate: Arc::clone(self),
            id,
            conn,
        })
    }

    /// Out of file descriptors: close the connection idle longest, so accepting can go on.
    pub fn shed(&self) -> bool {
        let Ok(mut conns) = self.conns.lock() else {
            return false;
        };
        let victim = conns
            .iter()
            .filter(|(_, c)| c.busy.load(Ordering::Relaxed) == 0)
            .min_by_key(|(_, c)| c.last.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match victim.and_then(|id| conns.remove(&id)) {
            Some(conn) => {
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// An empty reservation, to grow with [`Gate::grow`].
    pub fn nothing(&self) -> Reserved {
        Reserved(None)
    }

    /// Grows `held` to cover `bytes`. When the difference is not free at once, what is held
    /// is given back and the whole amount is waited for (until `deadline`), so that two bodies
    /// never each hold part of the budget while waiting for the rest: the budget cannot
    /// deadlock, big bodies take turns. False if there was no room by the deadline.
    pub async fn grow(&self, held: &mut Reserved, bytes: usize, deadline: Instant) -> bool {
        let have = held.0.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
        let want = units(bytes).min(self.budget_units).max(1);
        if want as usize <= have {
            return true;
        }
        let extra = want - u32::try_from(have).unwrap_or(u32::MAX);
        if let Ok(more) = Arc::clone(&self.budget).try_acquire_many_owned(extra) {
            match &mut held.0 {
                Some(p) => p.merge(more),
                None => held.0 = Some(more),
            }
            return true;
        }
        held.release();
        let whole = Arc::clone(&self.budget).acquire_many_owned(want);
        match tokio::time::timeout_at(deadline.into(), whole).await {
            Ok(Ok(p)) => {
                held.0 = Some(p);
                true
            }
            _ => false,
        }
    }
}

/// Bytes taken from a gate's budget, given back on drop.
pub struct Reserved(Option<OwnedSemaphorePermit>);

impl Reserved {
    /// Gives back what is held.
    pub fn release(&mut self) {
        self.0 = None;
    }
}

/// File descriptors this process may open (`ulimit -n`), less a reserve for files, the
/// capture and the runtime: the connection cap is lowered to this.
fn fd_room() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| open_files_limit(&text));
    soft.map_or(usize::MAX, |n| n.saturating_sub(64).max(16))
}

/// The soft "Max open files" of a `/proc/PID/limits` text (`None`: unlimited or unknown).
fn open_files_limit(text: &str) -> Option<usize> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A stream that notes on its connection when bytes were read.
pub struct Tracked<S> {
    inner: S,
    conn: Arc<Conn>,
}

impl<S> Tracked<S> {
    pub fn new(inner: S, conn: Arc<Conn>) -> Self {
        Tracked { inner, conn }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        // A reader taking an answer is not idle: the answer is not cut off mid-way. Nor is a
        // write waiting for the reader late for the next head (the idle timeout applies).
        match polled {
            Poll::Ready(Ok(n)) if n > 0 => {
                self.conn.writing.store(false, Ordering::Relaxed);
                self.conn.freed();
            }
            Poll::Pending => self.conn.writing.store(true, Ordering::Relaxed),
            Poll::Ready(_) => {}
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// TCP keepalive on an accepted connection, so that a peer that vanished (half-open) is
/// noticed in about two minutes instead of never.
pub fn keepalive(stream: &tokio::net::TcpStream) {
    let params = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10))
        .with_retries(6);
    let _ = socket2::SockRef::from(stream).set_tcp_keepalive(&params);
}

/// Whether an accept error is running out of file descriptors.
pub fn out_of_fds(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_open_files_limit() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(open_files_limit(text), Some(1024));
        assert_eq!(
            open_files_limit("Max open files unlimited unlimited files"),
            None
        );
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_makes_room() {
        let limits = Limits {
            max_connections: 2,
            ..Limits::default()
        };
        let gate = Gate::new(&limits, 0, Arc::new(SourceStatus::new("t")));
        let a = gate.admit().unwrap();
        let b = gate.admit().unwrap();
        let _busy = b.conn.busy();
        let c = gate.admit().unwrap();
        // `a` was idle: it is told to close; `b` is in a request and stays.
        tokio::time::timeout(Duration::from_secs(5), a.conn.evicted())
            .await
            .unwrap();
        let busy_c = c.conn.busy();
        assert!(gate.admit().is_none(), "every connection is busy");
        drop(busy_c);
        assert!(gate.admit().is_some());
    }

    #[tokio::test]
    async fn a_connection_is_late_for_a_head_only_when_no_request_is_in_progress() {
        let gate = Gate::new(&Limits::default(), 0, Arc::new(SourceStatus::new("t")));
        let a = gate.admit().unwrap();
        let wait = Duration::from_millis(50);
        let busy = a.conn.busy();
        // Answering a request (however long it takes) is not waiting for a head.
        let late = tokio::time::timeout(Duration::from_millis(300), a.conn.head_late(wait));
        assert!(late.await.is_err(), "late while a request was in progress");
        drop(busy);
        // Bytes read do not count: a head trickling in (a byte every 10 ms, the sender's
        // pace) is late all the same.
        let conn = Arc::clone(&a.conn);
        let trickle = tokio::spawn(async move {
            loop {
                conn.touch();
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let late = tokio::time::timeout(Duration::from_secs(30), a.conn.head_late(wait));
        assert!(late.await.is_ok(), "not late (hang detector)");
        trickle.abort();
    }

    #[tokio::test]
    async fn an_answer_waiting_for_its_reader_is_not_late_for_the_next_head() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let gate = Gate::new(&Limits::default(), 0, Arc::new(SourceStatus::new("t")));
        let a = gate.admit().unwrap();
        let wait = Duration::from_millis(50);
        // The reader takes 64 bytes at most until it reads: the answer's write waits.
        let (near, mut far) = tokio::io::duplex(64);
        let mut tracked = Tracked::new(near, Arc::clone(&a.conn));
        let answer = vec![b'x'; 4096];
        let writing =
            tokio::spawn(async move { tracked.write_all(&answer).await.map(|()| tracked) });
        let late = tokio::time::timeout(Duration::from_millis(300), a.conn.head_late(wait));
        assert!(
            late.await.is_err(),
            "late while the answer waited for its reader"
        );
        // The reader takes it all: from then on, the wait for a head counts.
        let mut taken = vec![0; 4096];
        far.read_exact(&mut taken).await.unwrap();
        let _tracked = writing.await.unwrap().unwrap();
        let late = tokio::time::timeout(Duration::from_secs(30), a.conn.head_late(wait));
        assert!(late.await.is_ok(), "not late (hang detector)");
    }

    #[tokio::test]
    async fn the_budget_bounds_bytes_held_and_big_bodies_take_turns() {
        let limits = Limits {
            inflight_bytes: 4 * UNIT,
            ..Limits::default()
        };
        let gate = Gate::new(&limits, 0, Arc::new(SourceStatus::new("t")));
        let soon = || Instant::now() + Duration::from_millis(50);
        let mut first = gate.nothing();
        assert!(gate.grow(&mut first, 3 * UNIT, soon()).await);
        let mut second = gate.nothing();
        assert!(gate.grow(&mut second, UNIT, soon()).await);
        // No room for more: the second gives back what it holds and waits for all of it.
        assert!(!gate.grow(&mut second, 2 * UNIT, soon()).await);
        assert!(second.0.is_none(), "nothing is held while waiting");
        first.release();
        assert!(gate.grow(&mut second, 4 * UNIT, soon()).await);
    }

    #[tokio::test]
    async fn two_growing_bodies_do_not_deadlock() {
        let limits = Limits {
            inflight_bytes: 4 * UNIT,
            ..Limits::default()
        };
        let gate = Gate::new(&limits, 0, Arc::new(SourceStatus::new("t")));
        let deadline = Instant::now() + Duration::from_secs(5);
        let body = |gate: Arc<Gate>| async move {
            let mut held = gate.nothing();
            for step in 1..=4 {
                if !gate.grow(&mut held, step * UNIT, deadline).await {
                    return false;
                }
                tokio::task::yield_now().await;
            }
            true
        };
        let (a, b) = tokio::join!(body(Arc::clone(&gate)), body(Arc::clone(&gate)));
        assert!(a && b, "both bodies got the whole budget in turn");
    }
}
