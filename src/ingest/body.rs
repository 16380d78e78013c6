//! A request's body, received under the listener's limits: the byte budget, the body
//! timeout and `--max-body`.

use super::http::error;
use super::limits::Reserved;
use super::serve::{ConnInfo, HttpResponse};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{HeaderMap, StatusCode};

/// The body's length as its `content-length` declares it, when it declares one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

pub fn too_large(max_body: usize) -> HttpResponse {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is over the {max_body}-byte limit"),
    )
}

/// A body that could not be read (a broken chunked encoding, a reset), as the answer.
fn unreadable(e: &dyn std::fmt::Display) -> HttpResponse {
    error(
        StatusCode::BAD_REQUEST,
        &format!("cannot read the body: {e}"),
    )
}

fn budget_full() -> HttpResponse {
    let mut r = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "too many request bodies in flight (--inflight-bytes): retry later",
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

/// Receives a request's body under the listener's limits, frame by frame: the bytes are
/// taken from the byte budget as they arrive (waiting, within the body timeout, for room:
/// else 503), the body must be whole within the body timeout (408) and within `--max-body`
/// (413). The reservation is held until the answer is sent. A body that came in one frame
/// (a small body, read with its request's head) is kept as it came, not copied.
#[allow(clippy::result_large_err)]
pub async fn receive<B>(
    parts: &Parts,
    body: B,
    opts: &super::IngestOptions,
    info: &ConnInfo,
) -> Result<(Bytes, Option<Reserved>), HttpResponse>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let wait = opts.limits.body_timeout;
    let deadline = std::time::Instant::now() + wait;
    let gate = &info.gate;
    let mut held = None;
    let mut body = body;
    // The first frame, as it came; later ones are gathered into `out`.
    let mut first: Option<Bytes> = None;
    let mut out = Vec::new();
    let mut size = 0;
    // One timer for the whole body, only polled when a frame is not there yet.
    let timer = tokio::time::sleep_until(deadline.into());
    tokio::pin!(timer);
    loop {
        let frame = tokio::select! {
            biased;
            frame = body.frame() => frame,
            () = &mut timer => return Err(late(wait)),
        };
        let frame = match frame {
            None => break,
            Some(frame) => frame.map_err(|e| unreadable(&e))?,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        size += data.len();
        if size > opts.max_body {
            return Err(too_large(opts.max_body));
        }
        // Bytes are taken from the budget as they arrive, never before: a sender that
        // declares a length and sends nothing holds nothing.
        let held = held.get_or_insert_with(|| gate.nothing());
        if !gate.grow(held, size, deadline).await {
            return Err(budget_full());
        }
        if first.is_none() && out.is_empty() {
            first = Some(data);
            continue;
        }
        if let Some(first) = first.take() {
            // Room for what came, or for the declared length up to 64 KiB (a sender's
            // declaration alone does not make a large buffer). Looked up only here: most
            // bodies come in one frame.
            let declared = declared_length(&parts.headers)
                .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
            out.reserve(declared.min(opts.max_body).min(64 * 1024).max(size));
            out.extend_from_slice(&first);
        }
        out.extend_from_slice(&data);
    }
    let received = match first {
        Some(whole) => whole,
        None => Bytes::from(out),
    };
    Ok((received, held))
}

fn late(wait: std::time::Duration) -> HttpResponse {
    error(
        StatusCode::REQUEST_TIMEOUT,
        &format!(
            "the body did not arrive within {} s (--body-timeout)",
            wait.as_secs_f64()
        ),
    )
}
