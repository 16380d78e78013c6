//! Byte-stream sources: TCP and Unix sockets (connecting, with reconnection, or listening for
//! any number of clients) and standard input. Each connection has its own framer, so a client
//! that sends garbage or a huge line only gets its own records marked malformed.

use super::backoff::Backoff;
use super::framing::{Frame, LineFramer};
use super::status::{Counters, SourceState};
use super::{Body, Ctx};
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};

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
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// Reads `r` to its end, framing lines into records.
pub async fn pump<R: AsyncRead + Unpin>(mut r: R, ctx: &Ctx, seq: &Seq) -> io::Result<Pumped> {
    let mut framer = LineFramer::new(ctx.opts.max_line_bytes);
    let mut buf = vec![0u8; 64 * 1024];
    let mut frames = Vec::new();
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            framer.finish(&mut frames);
        } else {
            framer.feed(&buf[..n], &mut frames);
        }
        let batch: Vec<_> = frames
            .drain(..)
            .map(|f| {
                let body = match f {
                    Frame::Line(_, raw) => Body::Raw(raw),
                    Frame::TooLong(_, len) => Body::TooLong(len),
                };
                ctx.record(seq.next(), body)
            })
            .collect();
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

/// Serves one accepted client until it disconnects.
fn serve_client<S: AsyncRead + Unpin + Send + 'static>(
    stream: S,
    peer: String,
    ctx: &Ctx,
    seq: &Seq,
) {
    Counters::add(&ctx.status.counters.connections, 1);
    let (ctx, seq) = (ctx.clone(), seq.clone());
    tokio::spawn(async move {
        if let Err(e) = pump(stream, &ctx, &seq).await {
            ctx.status.error(format!("client {peer}: {e}"));
        }
    });
}

/// A failed accept (out of file descriptors, say) is reported, and accepting goes on.
async fn accept_failed(ctx: &Ctx, e: &io::Error) {
    ctx.status.error(format!("accept: {e}"));
    tokio::time::sleep(Duration::from_millis(50)).await;
}

pub async fn run_tcp_listen(addr: String, ctx: Ctx) {
    let Some((listener, local)) = super::bind_tcp(&addr, &ctx).await else {
        return;
    };
    ctx.status.set(SourceState::Listening(local));
    let seq = Seq::default();
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => serve_client(stream, peer.to_string(), &ctx, &seq),
            Err(e) => accept_failed(&ctx, &e).await,
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
    loop {
        match listener.accept().await {
            Ok((stream, _)) => serve_client(stream, "unix client".into(), &ctx, &seq),
            Err(e) => accept_failed(&ctx, &e).await,
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
