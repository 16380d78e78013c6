//! The ECAPI endpoint `http-listen://HOST:PORT[/PATH]`: accepts `POST`s of one event, an array
//! or a batch envelope, and answers as the spec's Response Codes table says. It answers only
//! once the request's records went through the engine (and into the capture, when one is
//! kept), so an acknowledged event is never lost.

pub use super::body::{declared_length, receive, too_large};
use super::conn_threads::ConnThreads;
use super::sandbox::{Answered, FaultKind};
use super::serve::{ConnInfo, HttpRequest, HttpResponse};
use super::status::SourceState;
use super::stream::Seq;
use super::{Body, Ctx, Reply};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::HeaderValue;
use hyper::{header, HeaderMap, Method, StatusCode};
use serde_json::{json, Value};
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;

struct Endpoint {
    ctx: Ctx,
    path: Option<String>,
    seq: Seq,
    bucket: Option<Mutex<TokenBucket>>,
}

/// A token bucket: `rate` requests per second, bursts up to `rate`.
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rate: u32) -> TokenBucket {
        TokenBucket {
            rate: f64::from(rate.max(1)),
            tokens: f64::from(rate.max(1)),
            last: Instant::now(),
        }
    }

    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub async fn run(addr: String, path: Option<String>, ctx: Ctx) {
    let Some((listener, local)) = super::bind_tcp(&addr, &ctx).await else {
        return;
    };
    let bucket = ctx.opts.rate_limit.map(|r| Mutex::new(TokenBucket::new(r)));
    let endpoint = Arc::new(Endpoint {
        ctx: ctx.clone(),
        path,
        seq: Seq::default(),
        bucket,
    });
    ctx.status.set(SourceState::Listening(local));
    let answer = move |req: HttpRequest, info: ConnInfo| handle(Arc::clone(&endpoint), req, info);
    // Named by port (`http-8080-0`), as a process may run several endpoints.
    let port = listener.local_addr().map_or(0, |a| a.port());
    let threads = ConnThreads::start(&format!("http-{port}"), ConnThreads::per_core());
    super::serve_http(listener, answer, &ctx, threads).await;
}

pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    json_response(
        status,
        &json!({"status": status.as_u16(), "error": message}),
    )
}

/// Compares in time independent of where the strings differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        .filter(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case(b"bearer "))
        .map(|v| &v[7..])
        .is_some_and(|given| same_secret(given, token.as_bytes()))
}

/// Checks everything that can be refused before reading the body.
#[allow(clippy::result_large_err)] // the error is the response itself, built once per refusal
pub fn precheck(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    want_path: Option<&str>,
    token: Option<&str>,
    max_body: usize,
) -> Result<(), HttpResponse> {
    if want_path.is_some_and(|p| p != path) {
        return Err(error(StatusCode::NOT_FOUND, "no such resource"));
    }
    if method != Method::POST {
        let mut r = error(StatusCode::METHOD_NOT_ALLOWED, "events are sent with POST");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Err(r);
    }
    if let Some(token) = token {
        if !authorized(headers, token) {
            let mut r = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Err(r);
        }
    }
    if declared_length(headers).is_some_and(|n| n > max_body as u64) {
        return Err(too_large(max_body));
    }
    Ok(())
}

/// Answers a request, and counts every answer that is not a 200 by status on the source, so
/// that refused senders (a wrong token, a wrong path, a body too large) are seen.
async fn handle(ep: Arc<Endpoint>, req: HttpRequest, info: ConnInfo) -> HttpResponse {
    if ep.ctx.opts.sandbox.is_some() {
        // `serve` logs every request it processed, even when the sender left before the
        // answer: the request runs to its end on a task of its own.
        let task = tokio::spawn(handled(ep, req, info));
        return match task.await {
            Ok(r) => r,
            Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "the request failed"),
        };
    }
    handled(ep, req, info).await
}

async fn handled(ep: Arc<Endpoint>, req: HttpRequest, info: ConnInfo) -> HttpResponse {
    let method = req.method().clone();
    // The path, as text safe to show, is only needed for a log line or a refusal.
    let uri = req.uri().clone();
    let path = || crate::output::safe::safe_short(uri.path(), 120);
    let started = Instant::now();
    let response = answer(&ep, req, info).await;
    let status = response.status();
    if let Some(sandbox) = &ep.ctx.opts.sandbox {
        sandbox.log(request_line(&method, &path(), &response, started));
    }
    // A reset is not an answer: serve's request line says it.
    let reset = response.extensions().get::<ResetConnection>().is_some();
    if status != StatusCode::OK && !reset {
        ep.ctx.status.refused(status.as_u16());
        // A 5xx has already said why (the capture, the pipeline); a refused sender has not.
        if status.is_client_error() {
            ep.ctx.status.error(format!(
                "answered {} to {method} {}",
                status.as_u16(),
                path()
            ));
        }
    }
    response
}

async fn answer(ep: &Arc<Endpoint>, req: HttpRequest, info: ConnInfo) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let _busy = info.conn.busy();
    let opts = &ep.ctx.opts;
    if let Err(r) = precheck(
        &parts.method,
        parts.uri.path(),
        &parts.headers,
        ep.path.as_deref(),
        opts.token.as_deref(),
        opts.max_body,
    ) {
        return r;
    }
    if let Some(bucket) = &ep.bucket {
        let allowed = bucket.lock().map_or(true, |mut b| b.take(Instant::now()));
        if !allowed {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
    }
    let (raw, _held) = match receive(&parts, body, opts, &info).await {
        Ok(received) => received,
        Err(r) => return r,
    };
    if let Some(sandbox) = &opts.sandbox {
        // The body is read first, so that the sender always gets to read the answer.
        let delay = sandbox.delay();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if let Some(kind) = sandbox.fault() {
            return injected(kind, sandbox.retry_after);
        }
    }
    let (tx, rx) = oneshot::channel();
    let mut rec = ep.ctx.record(ep.seq.next(), Body::Raw(raw));
    rec.reply = Some(tx);
    if !hand_over(&ep.ctx, rec).await {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the pipeline is shutting down",
        );
    }
    match rx.await {
        Ok(reply) => {
            let mut r = respond(&reply);
            // What `serve` logs of the request (an extension costs an allocation or two: only
            // when there is a log).
            if opts.sandbox.is_some() {
                let [ok, warning, ..] = reply.by_status;
                let accepted = if r.status() == StatusCode::OK {
                    ok + warning
                } else {
                    0
                };
                r.extensions_mut().insert(Answered {
                    events: reply.total(),
                    accepted,
                    duplicates: reply.duplicates,
                    ..Answered::default()
                });
            }
            r
        }
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the pipeline stopped before the request was processed",
        ),
    }
}

/// Bodies up to this size are validated on the worker that received them (the direct lane);
/// larger ones go to the validator threads, so that no worker is held long.
const LANE_MAX: usize = 64 * 1024;

/// Sends a request's record on: by the direct lane when there is one (validated and
/// committed here), else to the validator threads like every source. False once the
/// pipeline is gone.
async fn hand_over(ctx: &Ctx, mut rec: super::Record) -> bool {
    let small = matches!(&rec.body, Body::Raw(raw) if raw.len() <= LANE_MAX);
    match ctx.lane.as_ref().filter(|_| small) {
        Some(lane) => lane.send(rec).await.is_ok(),
        None => {
            // A small body may be kept as it came, a slice of the connection's read buffer
            // (up to 64 KiB); queued for the validator threads, where it may wait (longer
            // than its sender, who may leave), it holds only its own bytes. A large one was
            // gathered into a buffer of its own.
            if let (true, Body::Raw(raw)) = (small, &mut rec.body) {
                *raw = Bytes::copy_from_slice(raw);
            }
            ctx.send(vec![rec]).await
        }
    }
}

/// A fault drawn by `serve --fault`: the status, as a receiver in trouble would answer, or a
/// reset, which the connection carries out (`ingest::serve`) instead of answering.
fn injected(kind: FaultKind, retry_after: u64) -> HttpResponse {
    let status = match kind {
        FaultKind::Status(s) => s,
        FaultKind::Reset => 503,
    };
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut r = error(code, "fault injected by ecapi-scope serve (--fault)");
    if matches!(status, 429 | 503) {
        if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    if kind == FaultKind::Reset {
        r.extensions_mut().insert(ResetConnection);
    }
    r.extensions_mut().insert(Answered {
        fault: Some(kind),
        ..Answered::default()
    });
    r
}

/// Marks an answer that must not be sent: the connection is reset instead.
#[derive(Clone, Copy, Debug)]
pub struct ResetConnection;

/// `serve`'s line for one request: when, what, the answer, its events and how long it took.
fn request_line(method: &Method, path: &str, r: &HttpResponse, started: Instant) -> String {
    let a = r
        .extensions()
        .get::<Answered>()
        .cloned()
        .unwrap_or_default();
    let line = json!({
        "received": super::now_ms(),
        "method": method.as_str(),
        "path": path,
        "events": a.events,
        "accepted": a.accepted,
        "duplicates": a.duplicates,
        "fault": a.fault.map(FaultKind::to_json),
        "status": if a.fault == Some(FaultKind::Reset) { Value::Null } else { r.status().as_u16().into() },
        "latency_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    crate::jsontext::escaped(line.to_string())
}

/// A JSON answer, terminal-safe like every other output (C1 controls, DEL, bidi overrides
/// escaped: the text stays the same JSON).
fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    json_text(status, crate::jsontext::escaped(body.to_string()))
}

/// An answer of JSON text, already terminal-safe.
fn json_text(status: StatusCode, text: String) -> HttpResponse {
    json_bytes(status, Bytes::from(text))
}

/// An answer of JSON text (as bytes), already terminal-safe.
fn json_bytes(status: StatusCode, text: Bytes) -> HttpResponse {
    let mut r = HttpResponse::new(Full::new(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The answer's member that lists its events.
const EVENTS: &[u8] = b"\"events\":[";

/// 200 with a result per event; 400 when nothing in the body was a usable event; 500 when it
/// could not be captured.
pub fn respond(reply: &Reply) -> HttpResponse {
    if let Some(e) = &reply.capture_error {
        return error(StatusCode::INTERNAL_SERVER_ERROR, e);
    }
    let mut n = itoa::Buffer::new();
    let (status, head): (_, [&[u8]; 3]) = if reply.usable == 0 {
        let head = br#"{"status":400,"error":"the body holds no usable event","#;
        (StatusCode::BAD_REQUEST, [head, b"", b""])
    } else {
        let total = n.format(reply.total()).as_bytes();
        (
            StatusCode::OK,
            [br#"{"status":200,"received":"#, total, b","],
        )
    };
    // Sized exactly (unless events were omitted): the bytes then become the body without
    // another allocation.
    let size = head.iter().map(|h| h.len()).sum::<usize>() + EVENTS.len() + reply.events.len() + 2;
    let mut body = Vec::with_capacity(size);
    for h in head {
        body.extend_from_slice(h);
    }
    body.extend_from_slice(EVENTS);
    body.extend_from_slice(&reply.events);
    body.push(b']');
    if reply.omitted > 0 {
        let [ok, warning, err, malformed] = reply.by_status;
        let _ = write!(
            body,
            r#","events_omitted":{},"by_status":{{"ok":{ok},"warning":{warning},"error":{err},"malformed":{malformed}}}"#,
            reply.omitted
        );
    }
    body.push(b'}');
    // ASCII without DEL (the common case) has nothing to escape, nor to check as UTF-8.
    if crate::jsontext::bytes_within(&body, 0, 0x7e) {
        return json_bytes(status, Bytes::from(body));
    }
    json_text(
        status,
        crate::jsontext::escaped(String::from_utf8(body).unwrap_or_default()),
    )
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
