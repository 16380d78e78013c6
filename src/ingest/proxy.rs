//! The proxy tap `proxy://HOST:PORT?upstream=URL`: forwards each request to the real endpoint
//! (https through rustls), returns the upstream's answer to the sender unchanged, and records
//! the request's events with the upstream's status, latency and body — "sent → valid →
//! accepted by the partner". The request path and query are appended to the upstream URL.

use super::http::error;
use super::serve::{ConnInfo, HttpRequest, HttpResponse};
use super::status::SourceState;
use super::stream::Seq;
use super::{Body, Ctx, Upstream};
use http_body_util::Full;
use hyper::header::HeaderName;
use hyper::{HeaderMap, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How much of the upstream's body a record keeps.
const KEPT_BODY: usize = 4096;

struct Tap {
    ctx: Ctx,
    upstream: String,
    client: reqwest::Client,
    seq: Seq,
}

pub async fn run(addr: String, upstream: String, ctx: Ctx) {
    super::init_tls();
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none());
    for cert in &ctx.opts.extra_roots {
        if let Ok(c) = reqwest::Certificate::from_der(cert) {
            builder = builder.add_root_certificate(c);
        }
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            return ctx
                .status
                .set(SourceState::Failed(format!("HTTP client: {e}")))
        }
    };
    let Some((listener, local)) = super::bind_tcp(&addr, &ctx).await else {
        return;
    };
    let tap = Arc::new(Tap {
        ctx: ctx.clone(),
        upstream: upstream.trim_end_matches('/').to_owned(),
        client,
        seq: Seq::default(),
    });
    ctx.status
        .set(SourceState::Listening(format!("{local} → {upstream}")));
    let answer = move |req: HttpRequest, info: ConnInfo| handle(Arc::clone(&tap), req, info);
    // On the shared runtime: the forwarding client's pooled connections belong to the
    // runtime that opened them.
    super::serve_http(listener, answer, &ctx, None).await;
}

/// Headers that belong to one hop, never forwarded.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

fn forwardable(headers: &HeaderMap) -> HeaderMap {
    headers
        .iter()
        .filter(|(name, _)| !hop_by_hop(name))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

async fn handle(tap: Arc<Tap>, req: HttpRequest, info: ConnInfo) -> HttpResponse {
    // The exchange runs on its own task: a sender that gives up does not cancel a request
    // already forwarded, which is still recorded with the upstream's answer.
    let task = tokio::spawn(exchange(tap, req, info));
    task.await
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "the proxy task failed"))
}

/// Forwards one request (any method: the tap changes nothing), answers with the upstream's
/// response and records the exchange.
async fn exchange(tap: Arc<Tap>, req: HttpRequest, info: ConnInfo) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let max_body = tap.ctx.opts.max_body;
    if super::http::declared_length(&parts.headers).is_some_and(|n| n > max_body as u64) {
        return super::http::too_large(max_body);
    }
    let _busy = info.conn.busy();
    let (raw, _held) = match super::http::receive(&parts, body, &tap.ctx.opts, &info).await {
        Ok(received) => received,
        Err(r) => return r,
    };
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let url = format!("{}{}", tap.upstream, if path == "/" { "" } else { path });
    let started = Instant::now();
    let sent = tap
        .client
        .request(parts.method.clone(), &url)
        .headers(forwardable(&parts.headers))
        .body(raw.clone())
        .send()
        .await;
    let head = parts.method == hyper::Method::HEAD;
    let answered = match sent {
        Ok(resp) => {
            let status = resp.status();
            let mut headers = forwardable(resp.headers());
            if head {
                // No body follows a HEAD answer: its length is the one a GET would have had,
                // the upstream's to tell.
                if let Some(len) = resp.headers().get(hyper::header::CONTENT_LENGTH) {
                    headers.insert(hyper::header::CONTENT_LENGTH, len.clone());
                }
            }
            resp.bytes()
                .await
                .map(|b| (status, headers, b))
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (upstream, response) = match answered {
        Ok((status, headers, bytes)) => {
            let kept = String::from_utf8_lossy(&bytes[..bytes.len().min(KEPT_BODY)]).into_owned();
            let upstream = Upstream {
                status: Some(status.as_u16()),
                latency_ms,
                body: kept,
                error: None,
            };
            // Built bare, so that no header the upstream did not send is added.
            let mut response = HttpResponse::new(Full::new(bytes));
            *response.status_mut() = status;
            response.headers_mut().extend(headers);
            (upstream, response)
        }
        Err(e) => {
            let message = format!("upstream {url} unreachable: {e}");
            tap.ctx.status.error(message.clone());
            let upstream = Upstream {
                status: None,
                latency_ms,
                body: String::new(),
                error: Some(message.clone()),
            };
            (upstream, error(StatusCode::BAD_GATEWAY, &message))
        }
    };
    let mut rec = tap.ctx.record(tap.seq.next(), Body::Raw(raw));
    rec.upstream = Some(Arc::new(upstream));
    tap.ctx.send(vec![rec]).await;
    response
}
