//! The ECAPI endpoint and the proxy tap over real HTTP on loopback, with the hub answering:
//! status codes, per-event results, captures before acknowledgement, upstream failures.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use ecapi_scope::config::Settings;
use ecapi_scope::engine::report::EventReport;
use ecapi_scope::ingest::capture::Capture;
use ecapi_scope::ingest::hub::{Hub, Origin, Output};
use ecapi_scope::ingest::spec::SourceSpec;
use ecapi_scope::ingest::status::{SourceState, SourceStatus};
use ecapi_scope::ingest::{Ctx, IngestOptions};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use support::{fast_options, DEADLINE};

/// What the hub reported, per event: source label, status, upstream status.
type Seen = Arc<Mutex<Vec<(String, String, Option<u16>)>>>;

struct Collect(Seen, Arc<tokio::sync::Notify>);

impl Output for Collect {
    fn event(&mut self, r: &EventReport, o: &Origin) {
        let up = o.upstream.and_then(|u| u.status);
        self.0
            .lock()
            .unwrap()
            .push((o.label.to_owned(), r.status.name().to_owned(), up));
        self.1.notify_one();
    }
}

struct Running {
    status: Arc<SourceStatus>,
    seen: Seen,
    reported: Arc<tokio::sync::Notify>,
    addr: String,
}

impl Running {
    /// The first event the hub reported, once there is one.
    async fn first_seen(&self) -> (String, String, Option<u16>) {
        tokio::time::timeout(DEADLINE, async {
            loop {
                if let Some(s) = self.seen.lock().unwrap().first().cloned() {
                    return s;
                }
                self.reported.notified().await;
            }
        })
        .await
        .unwrap()
    }
}

async fn run_with_hub(spec: &str, opts: IngestOptions, capture: Option<Capture>) -> Running {
    ecapi_scope::ingest::init_tls();
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let status = Arc::new(SourceStatus::new(spec));
    let seen: Seen = Arc::default();
    let reported = Arc::new(tokio::sync::Notify::new());
    let hub = Hub::new(
        &Settings::default(),
        capture,
        &[Arc::clone(&status)],
        Box::new(Collect(Arc::clone(&seen), Arc::clone(&reported))),
        None,
    );
    let lane = hub.lane();
    std::thread::spawn(move || hub.run(rx));
    let ctx = Ctx {
        id: 0,
        status: Arc::clone(&status),
        tx,
        opts: Arc::new(opts),
        lane,
    };
    ecapi_scope::ingest::spawn(SourceSpec::parse(spec).unwrap(), ctx);
    let state = tokio::time::timeout(
        DEADLINE,
        status.wait_for(|s| matches!(s, SourceState::Listening(_) | SourceState::Failed(_))),
    )
    .await
    .unwrap();
    let SourceState::Listening(addr) = state else {
        panic!("{state:?}")
    };
    let addr = addr.split(' ').next().unwrap().to_owned();
    Running {
        status,
        seen,
        reported,
        addr,
    }
}

/// An endpoint whose hub keeps a capture in a fresh directory (kept while the first value
/// lives), and the capture's path.
async fn endpoint_with_capture() -> (tempfile::TempDir, std::path::PathBuf, Running) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cap.ndjson");
    let capture = Capture::open(&path).unwrap();
    let ep = run_with_hub("http-listen://127.0.0.1:0", fast_options(), Some(capture)).await;
    (dir, path, ep)
}

const EVENT: &str = r#"{"data_set_id":"d","id":"e1","timestamp":TS,"event_type":"page_view","source":"website","user_data":{"click_id":"c"}}"#;

fn event(id: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    EVENT.replace("TS", &now.to_string()).replace("e1", id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_answers_with_the_spec_status_codes() {
    let opts = IngestOptions {
        token: Some("t0k".into()),
        max_body: 1024,
        ..fast_options()
    };
    let ep = run_with_hub("http-listen://127.0.0.1:0/events", opts, None).await;
    let url = format!("http://{}/events", ep.addr);
    let client = reqwest::Client::new();
    let post = |body: String, token: Option<&str>| {
        let mut req = client.post(&url).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let ok = post(format!("[{},{}]", event("a"), event("b")), Some("t0k"))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    assert_eq!(body["events"][1]["index"], 1);
    assert_eq!(body["events"][0]["status"], "ok");

    let bad = post("{not json".into(), Some("t0k")).await.unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["events"][0]["findings"][0]["code"], "malformed_json");

    assert_eq!(post(event("c"), None).await.unwrap().status(), 401);
    assert_eq!(post(event("c"), Some("wrong")).await.unwrap().status(), 401);
    let other = client
        .post(format!("http://{}/other", ep.addr))
        .bearer_auth("t0k")
        .body(event("d"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let get = client.get(&url).bearer_auth("t0k").send().await.unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST");
    assert_eq!(
        post("x".repeat(2048), Some("t0k")).await.unwrap().status(),
        413
    );
    // Only the two accepted events reached the engine.
    assert_eq!(
        ep.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.1 == "ok")
            .count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_rate_limit_answers_429() {
    let opts = IngestOptions {
        rate_limit: Some(1),
        ..fast_options()
    };
    let ep = run_with_hub("http-listen://127.0.0.1:0", opts, None).await;
    let client = reqwest::Client::new();
    let sends = (0..20).map(|i| {
        client
            .post(format!("http://{}/", ep.addr))
            .body(event(&i.to_string()))
            .send()
    });
    let codes: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert!(codes.contains(&200), "{codes:?}");
    assert!(codes.contains(&429), "{codes:?}");
    assert!(codes.iter().all(|c| *c == 200 || *c == 429));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_event_is_already_in_the_capture() {
    let (_dir, path, ep) = endpoint_with_capture().await;
    let client = reqwest::Client::new();
    for i in 1..=20 {
        let r = client
            .post(format!("http://{}/", ep.addr))
            .body(event(&i.to_string()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert_eq!(lines, i, "acknowledged before it was captured");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_capture_is_reported_and_its_senders_refused() {
    let ep = run_with_hub(
        "http-listen://127.0.0.1:0",
        fast_options(),
        Some(Capture::open(std::path::Path::new("/dev/full")).unwrap()),
    )
    .await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("http://{}/", ep.addr))
        .body(event("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        500,
        "the sender must retry what could not be kept"
    );
    assert!(ep.status.last_error().unwrap().contains("capture"));
    let r = client
        .post(format!("http://{}/", ep.addr))
        .body(event("y"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        ep.seen.lock().unwrap().len(),
        0,
        "a refused event is neither counted nor reported (its retry is not a duplicate)"
    );
}

/// A stand-in for a partner's endpoint: answers 202 with a body and a header.
async fn upstream() -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/v1/events",
        post(|body: String| async move {
            (
                axum::http::StatusCode::ACCEPTED,
                [("x-partner", "yes")],
                format!("{{\"got\":{}}}", body.len()),
            )
        }),
    );
    serve_upstream(app).await
}

/// Serves `app` on loopback as a partner's endpoint; its URL, with the `/v1` prefix the
/// proxy's requests go under.
async fn serve_upstream(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

/// A proxy source in front of the endpoint at `up`.
async fn proxy_to(up: &str) -> Running {
    run_with_hub(
        &format!("proxy://127.0.0.1:0?upstream={up}"),
        fast_options(),
        None,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_returns_the_upstream_answer_and_records_it() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    let body = event("p1");
    let r = reqwest::Client::new()
        .post(format!("http://{}/events", proxy.addr))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["x-partner"], "yes");
    assert_eq!(
        r.text().await.unwrap(),
        format!("{{\"got\":{}}}", body.len())
    );
    let seen = proxy.first_seen().await;
    assert_eq!(seen.1, "ok");
    assert_eq!(seen.2, Some(202));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_answers_502_when_the_upstream_is_down() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let proxy = run_with_hub(
        &format!("proxy://127.0.0.1:0?upstream={dead}"),
        fast_options(),
        None,
    )
    .await;
    let r = reqwest::Client::new()
        .post(format!("http://{}/", proxy.addr))
        .body(event("p2"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert!(proxy.status.last_error().unwrap().contains("unreachable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_forwards_any_method_unchanged() {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/v1/status",
        get(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "short and stout") }),
    );
    let up = serve_upstream(app).await;
    let proxy = proxy_to(&up).await;
    let r = reqwest::Client::new()
        .get(format!("http://{}/status", proxy.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 418);
    assert!(r
        .headers()
        .get("content-type")
        .is_none_or(|v| v != "application/octet-stream"));
    assert_eq!(r.text().await.unwrap(), "short and stout");
}

/// Regression: a HEAD answer through the proxy lost the upstream's `content-length` (the
/// length of the body a GET would have had), which the proxy strips to frame bodies itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_answer_through_the_proxy_keeps_the_upstreams_content_length() {
    use axum::routing::get;
    let app = axum::Router::new().route("/v1/status", get(|| async { "short and stout" }));
    let up = serve_upstream(app).await;
    let proxy = proxy_to(&up).await;
    let client = reqwest::Client::new();
    let direct = client.head(format!("{up}/status")).send().await.unwrap();
    assert_eq!(direct.headers()["content-length"], "15");
    let r = client
        .head(format!("http://{}/status", proxy.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("content-length")
            .map(reqwest::header::HeaderValue::as_bytes),
        Some(&b"15"[..])
    );
    assert_eq!(r.bytes().await.unwrap().len(), 0);
    // A GET is framed by the proxy, with the length of the body it sends.
    let r = client
        .get(format!("http://{}/status", proxy.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-length"], "15");
    assert_eq!(r.text().await.unwrap(), "short and stout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_scheme_name_is_case_insensitive_and_chunked_bodies_are_limited() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let opts = IngestOptions {
        token: Some("t0k".into()),
        max_body: 1024,
        ..fast_options()
    };
    let ep = run_with_hub("http-listen://127.0.0.1:0", opts, None).await;
    let r = reqwest::Client::new()
        .post(format!("http://{}/", ep.addr))
        .header("authorization", "bearer t0k")
        .body(event("q"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A chunked body (no Content-Length) over the limit.
    let mut s = tokio::net::TcpStream::connect(&ep.addr).await.unwrap();
    let chunk = "x".repeat(800);
    let req = format!("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0k\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n320\r\n{chunk}\r\n320\r\n{chunk}\r\n0\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
}

/// A body is kept byte for byte whether it came in one frame (read with its request's head,
/// and kept as it came) or in many (chunked, 7 bytes at a time, gathered): the capture holds
/// exactly what was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_in_one_frame_or_many_are_kept_byte_for_byte() {
    use std::fmt::Write as _;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_dir, path, ep) = endpoint_with_capture().await;
    let whole = format!("[{},{}]", event("one-a"), event("one-b"));
    let r = reqwest::Client::new()
        .post(format!("http://{}/", ep.addr))
        .body(whole.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let pieces = format!("[{},{}]", event("many-a"), event("many-b"));
    let mut req = String::from(
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for piece in pieces.as_bytes().chunks(7) {
        let piece = std::str::from_utf8(piece).unwrap();
        write!(req, "{:x}\r\n{piece}\r\n", piece.len()).unwrap();
    }
    req.push_str("0\r\n\r\n");
    let mut s = tokio::net::TcpStream::connect(&ep.addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let kept: Vec<Vec<u8>> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            ecapi_scope::ingest::capture::unwrap(l.as_bytes())
                .unwrap()
                .raw
                .unwrap()
        })
        .collect();
    assert_eq!(kept, [whole.into_bytes(), pieces.into_bytes()]);
}
