//! The HTTP server of the endpoint and the proxy: an accept loop under the listener limits
//! (connection cap with eviction of the longest-idle, header, idle and body timeouts, the
//! byte budget), TCP keepalive, and a graceful stop that finishes the answers owed.

use super::conn_threads::ConnThreads;
use super::http::ResetConnection;
use super::limits::{self, Admission, Conn, Gate, Tracked};
use super::status::Counters;
use super::Ctx;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

/// How long a stop waits for the answers owed before closing what is left.
const DRAIN: Duration = Duration::from_secs(10);

/// What a request handler learns of its connection.
#[derive(Clone)]
pub struct ConnInfo {
    pub conn: Arc<Conn>,
    pub gate: Arc<Gate>,
}

/// A request as the sources receive it, and their answer: the whole body at once.
pub type HttpRequest = hyper::Request<Incoming>;
pub type HttpResponse = hyper::Response<Full<Bytes>>;

/// What answers the requests of an HTTP source (the endpoint, the proxy): a function of the
/// request and its connection, called straight from hyper's connection (no router, no boxed
/// body or future between them).
pub trait Handler: Clone + Send + Sync + 'static {
    type Answer: Future<Output = HttpResponse> + Send + 'static;
    fn call(&self, req: HttpRequest, info: ConnInfo) -> Self::Answer;
}

impl<F, A> Handler for F
where
    F: Fn(HttpRequest, ConnInfo) -> A + Clone + Send + Sync + 'static,
    A: Future<Output = HttpResponse> + Send + 'static,
{
    type Answer = A;

    fn call(&self, req: HttpRequest, info: ConnInfo) -> A {
        self(req, info)
    }
}

/// Serves an HTTP source until the program stops: its connections on `threads` when given
/// (see [`ConnThreads`]), else on the runtime this runs on.
pub async fn serve_http<H: Handler>(
    listener: tokio::net::TcpListener,
    app: H,
    ctx: &Ctx,
    threads: Option<ConnThreads>,
) {
    let floor = ctx.opts.max_body;
    let gate = Gate::new(&ctx.opts.limits, floor, Arc::clone(&ctx.status));
    let mut tasks = JoinSet::new();
    let stopping = ctx.opts.stopping();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            () = &mut stopping => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    Counters::add(&ctx.status.counters.connections, 1);
                    let Some(admitted) = gate.admit() else {
                        tokio::spawn(refuse_busy(stream));
                        continue;
                    };
                    limits::keepalive(&stream);
                    let info = ConnInfo { conn: Arc::clone(&admitted.conn), gate: Arc::clone(&gate) };
                    let (app, ctx) = (app.clone(), ctx.clone());
                    match &threads {
                        Some(threads) => match stream.into_std() {
                            Ok(stream) => threads.spawn(&mut tasks, async move {
                                // Registered with the reactor of the thread it runs on.
                                if let Ok(stream) = tokio::net::TcpStream::from_std(stream) {
                                    connection(stream, app, admitted, info, ctx).await;
                                }
                            }),
                            Err(e) => ctx.status.error(format!("accept: {e}")),
                        },
                        None => {
                            tasks.spawn(connection(stream, app, admitted, info, ctx));
                        }
                    }
                }
                Err(e) => accept_failed(&gate, ctx, &e).await,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async { while tasks.join_next().await.is_some() {} });
    if drained.await.is_err() {
        ctx.status.error(format!(
            "connections still open {} s after the stop were closed",
            DRAIN.as_secs()
        ));
    }
}

/// Every connection is in the middle of a request: this one is told so (503) and closed,
/// rather than closed without a word.
async fn refuse_busy(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let answer = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\nContent-Length: 69\r\nConnection: close\r\n\r\n{\"status\":503,\"error\":\"every connection is busy (--max-connections)\"}";
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(answer)).await;
}

/// A failed accept is said, and accepting goes on. Out of file descriptors, the
/// longest-idle connection is closed so that new clients are not locked out.
pub async fn accept_failed(gate: &Gate, ctx: &Ctx, e: &std::io::Error) {
    if limits::out_of_fds(e) {
        let shed = gate.shed();
        ctx.status.error(format!(
            "accept: {e} (ulimit -n is too low for {} connections){}",
            gate.max_connections(),
            if shed {
                "; the longest-idle connection was closed"
            } else {
                ""
            }
        ));
    } else {
        ctx.status.error(format!("accept: {e}"));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// A task that ends with its handle.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Why a connection is ended from outside.
enum Ending {
    /// The program stops: the answers owed are finished first.
    Stop,
    /// Evicted for a new connection, or idle for too long: closed at once.
    Close,
}

/// Says when the connection is evicted, idles out, waited too long for a request's head, or
/// the program stops.
async fn watch(
    conn: Arc<Conn>,
    limits: limits::Limits,
    stopping: impl Future<Output = ()>,
    ended: oneshot::Sender<Ending>,
) {
    let why = tokio::select! {
        () = conn.evicted() => Ending::Close,
        () = conn.idle(limits.idle_timeout) => Ending::Close,
        () = conn.head_late(limits.header_timeout) => Ending::Close,
        () = stopping => Ending::Stop,
    };
    let _ = ended.send(why);
}

/// Serves one connection until it ends, idles out, is evicted, or the program stops.
async fn connection<H: Handler>(
    stream: tokio::net::TcpStream,
    app: H,
    admitted: Admission,
    info: ConnInfo,
    ctx: Ctx,
) {
    let limits = &ctx.opts.limits;
    // A second handle on the socket, for `serve --fault reset:RATE` to reset it through.
    let resettable = ctx
        .opts
        .sandbox
        .as_ref()
        .and_then(|_| stream.as_fd().try_clone_to_owned().ok())
        .map(Arc::new);
    let io = TokioIo::new(Tracked::new(stream, Arc::clone(&admitted.conn)));
    let service = hyper::service::service_fn(move |req: HttpRequest| {
        let answer = app.call(req, info.clone());
        let resettable = resettable.clone();
        async move {
            let r = answer.await;
            if r.extensions().get::<ResetConnection>().is_some() {
                // Linger 0: closing sends RST; the error makes hyper close without answering.
                if let Some(fd) = &resettable {
                    let _ = socket2::SockRef::from(fd.as_ref()).set_linger(Some(Duration::ZERO));
                }
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset (serve --fault reset)",
                ));
            }
            Ok(r)
        }
    });
    // No timer for hyper: the header timeout is the watcher's (`Conn::head_late`).
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        // Request heads are small: a client sending endless headers holds 64 KiB, not 400.
        .max_buf_size(64 * 1024)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    // What ends the connection from outside is watched by a task of its own, which says so
    // through one channel: a request wakes the connection two or three times, and each wake
    // polled the eviction, the idle timer and the stop signal too.
    let (ended, ending) = oneshot::channel();
    // Aborted when the connection ends, however it ends (its task may also be aborted).
    let _watcher = AbortOnDrop(tokio::spawn(watch(
        Arc::clone(&admitted.conn),
        limits.clone(),
        ctx.opts.stopping(),
        ended,
    )));
    let served = tokio::select! {
        biased;
        r = conn.as_mut() => Some(r),
        why = ending => match why {
            Ok(Ending::Stop) => {
                conn.as_mut().graceful_shutdown();
                tokio::time::timeout(DRAIN, conn.as_mut()).await.ok()
            }
            Ok(Ending::Close) | Err(_) => None,
        }
    };
    if let Some(Err(e)) = served {
        // A client that goes away or times out is not the endpoint's failure; say it only
        // when it is something else.
        if !(e.is_incomplete_message()
            || e.is_timeout()
            || e.is_user()
            || e.to_string().contains("reset"))
        {
            ctx.status.error(format!("connection: {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AbortOnDrop;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_watcher_ends_with_the_connection_that_dropped_it() {
        let held = Arc::new(());
        let in_task = Arc::clone(&held);
        let watcher = AbortOnDrop(tokio::spawn(async move {
            std::future::pending::<()>().await;
            drop(in_task);
        }));
        tokio::task::yield_now().await;
        assert_eq!(Arc::strong_count(&held), 2, "the watcher runs");
        drop(watcher);
        let ended = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while Arc::strong_count(&held) > 1 {
                tokio::task::yield_now().await;
            }
        });
        assert!(ended.await.is_ok(), "the watcher outlived its connection");
    }
}
