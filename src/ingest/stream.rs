//! Byte-stream sources: TCP and Unix sockets (connecting, with reconnection, or listening for
//! any number of clients) and standard input. Each connection has its own framer, so a client
//! that sends garbage or a huge line only gets its own records marked malformed.

use super::backoff::Backoff;
use super::framing::{Frame, LineFramer};
use super::limits::{self, Gate, Tracked};
use super::serve::accept_failed;
use super::status::{Counters, SourceState};
use super::{Body, Ctx};
use bytes::BytesMut;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};

/// Bytes asked of a stream at once (at least a quarter of it).
const CHUNK: usize = 64 * 1024;

/// How reading a stream ended.
pub enum Pumped {
    Eof,
    HubGone,
}

/// Numbers records across all connections of a source.
#[derive(Clone, Default)]
pub struct Seq(Arc<AtomicU64>);

impl Seq {
    pub fn next(&self) -> u64 {
        self.take(1)
    }

    /// The first of `n` numbers in a row.
    pub fn take(&self, n: u64) -> u64 {
        self.0.fetch_add(n, Ordering::Relaxed) + 1
    }
}

/// Reads `r` to its end, framing lines into records.
pub async fn pump<R: AsyncRead + Unpin>(r: R, ctx: &Ctx, seq: &Seq) -> io::Result<Pumped> {
    pump_within(r, ctx, seq, None).await
}

/// Reads `r` to its end, framing lines into records; with a gate, the bytes of an unfinished
/// line are taken from its budget (reading waits for room, and gives up after the body
/// timeout), so that many clients sending huge unfinished lines cannot exhaust memory.
async fn pump_within<R: AsyncRead + Unpin>(
    mut r: R,
    ctx: &Ctx,
    seq: &Seq,
    gate: Option<&Gate>,
) -> io::Result<Pumped> {
    let mut framer = LineFramer::new(ctx.opts.max_line_bytes);
    // Chunks are read into one growing block and handed out whole: the lines within a chunk
    // are slices of it, freed together once the hub is done with them.
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut held = gate.map(Gate::nothing);
    loop {
        if buf.capacity() < CHUNK / 4 {
            buf.reserve(CHUNK);
        }
        let n = r.read_buf(&mut buf).await?;
        if n == 0 {
            framer.finish(&mut frames);
        } else {
            framer.feed_shared(&buf.split().freeze(), &mut frames);
        }
        if let (Some(gate), Some(held)) = (gate, held.as_mut()) {
            let pending = framer.pending();
            if pending == 0 {
                held.release();
            } else if !gate
                .grow(
                    held,
                    pending,
                    std::time::Instant::now() + ctx.opts.limits.body_timeout,
                )
                .await
            {
                return Err(io::Error::other(
                    "the listener's byte budget (--inflight-bytes) stayed full: closed",
                ));
            }
        }
        let first = seq.take(frames.len() as u64);
        let batch = ctx.records(
            first,
            frames.drain(..).map(|f| match f {
                Frame::Line(_, raw) => Body::Raw(raw),
                Frame::TooLong(_, len) => Body::TooLong(len),
            }),
        );
        if !ctx.send(batch).await {
            return Ok(Pumped::HubGone);
        }
        if n == 0 {
            return Ok(Pumped::Eof);
        }
    }
}

pub async fn run_stdin(ctx: Ctx) {
    ctx.status.set(SourceState::Connected);
    let seq = Seq::default();
    match pump(tokio::io::stdin(), &ctx, &seq).await {
        Ok(_) => ctx.status.set(SourceState::Ended),
        Err(e) => ctx
            .status
            .set(SourceState::Failed(format!("reading standard input: {e}"))),
    }
}

/// Connects, reads until the peer goes away, waits (backoff with jitter) and connects again.
async fn run_connecting<S, F, Fut>(what: String, ctx: Ctx, connect: F)
where
    S: AsyncRead + Unpin,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = io::Result<S>>,
{
    let mut backoff = Backoff::default();
    let seq = Seq::default();
    loop {
        let attempt = tokio::time::timeout(super::backoff::CONNECT_TIMEOUT, connect()).await;
        let reason = match attempt {
            Ok(Ok(stream)) => {
                let session = backoff.connected(&ctx.status);
                let outcome = pump(stream, &ctx, &seq).await;
                backoff.disconnected(&session, &ctx.status);
                match outcome {
                    Ok(Pumped::HubGone) => return,
                    Ok(Pumped::Eof) => format!("{what} closed the connection"),
                    Err(e) => format!("{what}: {e}"),
                }
            }
            Ok(Err(e)) => format!("cannot connect to {what}: {e}"),
            Err(_) => format!(
                "cannot connect to {what}: no answer in {} s",
                super::backoff::CONNECT_TIMEOUT.as_secs()
            ),
        };
        backoff.retry_later(&ctx.status, reason).await;
    }
}

pub async fn run_tcp(addr: String, ctx: Ctx) {
    let target = addr.clone();
    run_connecting(addr, ctx, move || TcpStream::connect(target.clone())).await;
}

pub async fn run_unix(path: PathBuf, ctx: Ctx) {
    let what = path.display().to_string();
    run_connecting(what, ctx, move || UnixStream::connect(path.clone())).await;
}

/// Serves one accepted client until it disconnects or the gate closes it to make room.
fn serve_client<S: AsyncRead + Unpin + Send + 'static>(
    stream: S,
    peer: String,
    ctx: &Ctx,
    seq: &Seq,
    gate: &Arc<Gate>,
) {
    Counters::add(&ctx.status.counters.connections, 1);
    let Some(admitted) = gate.admit() else {
        return;
    };
    let (ctx, seq, gate) = (ctx.clone(), seq.clone(), Arc::clone(gate));
    tokio::spawn(async move {
        let conn = Arc::clone(&admitted.conn);
        let stream = Tracked::new(stream, Arc::clone(&conn));
        let pumped = tokio::select! {
            r = pump_within(stream, &ctx, &seq, Some(&gate)) => r,
            () = conn.evicted() => Ok(Pumped::Eof),
        };
        if let Err(e) = pumped {
            ctx.status.error(format!("client {peer}: {e}"));
        }
        drop(admitted);
    });
}

fn gate_of(ctx: &Ctx) -> Arc<Gate> {
    let floor = ctx.opts.max_line_bytes;
    Gate::new(&ctx.opts.limits, floor, Arc::clone(&ctx.status))
}

pub async fn run_tcp_listen(addr: String, ctx: Ctx) {
    let Some((listener, local)) = super::bind_tcp(&addr, &ctx).await else {
        return;
    };
    ctx.status.set(SourceState::Listening(local));
    let seq = Seq::default();
    let gate = gate_of(&ctx);
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                limits::keepalive(&stream);
                serve_client(stream, peer.to_string(), &ctx, &seq, &gate);
            }
            Err(e) => accept_failed(&gate, &ctx, &e).await,
        }
    }
}

pub async fn run_unix_listen(path: PathBuf, ctx: Ctx) {
    if let Err(e) = remove_stale_socket(&path) {
        return ctx.status.set(SourceState::Failed(e));
    }
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            let reason = format!("cannot listen on {}: {e}", path.display());
            return ctx.status.set(SourceState::Failed(reason));
        }
    };
    ctx.status
        .set(SourceState::Listening(path.display().to_string()));
    let seq = Seq::default();
    let gate = gate_of(&ctx);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => serve_client(stream, "unix client".into(), &ctx, &seq, &gate),
            Err(e) => accept_failed(&gate, &ctx, &e).await,
        }
    }
}

/// A socket file left by an earlier run is removed; any other file there is not touched.
fn remove_stale_socket(path: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)
            .map_err(|e| format!("cannot remove the old socket {}: {e}", path.display())),
        Ok(_) => Err(format!("{} exists and is not a socket", path.display())),
        Err(_) => Ok(()),
    }
}
