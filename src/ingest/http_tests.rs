//! The endpoint's own pieces: the rate limiter, the secret comparison, receiving a body.

use super::*;
use std::time::Duration;

/// A body that hands out the given frames, one per poll.
struct Frames(std::collections::VecDeque<Bytes>);

impl hyper::body::Body for Frames {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

/// Receives `frames` as one request's body, under default limits.
fn received(frames: &[&[u8]], declared: Option<usize>) -> Result<Bytes, u16> {
    let opts = super::super::IngestOptions::default();
    let status = Arc::new(super::super::status::SourceStatus::new(
        "http-listen://test",
    ));
    let gate = super::super::limits::Gate::new(&opts.limits, opts.max_body, status);
    let admitted = gate.admit().expect("room for one connection");
    let info = ConnInfo {
        conn: Arc::clone(&admitted.conn),
        gate: Arc::clone(&gate),
    };
    let mut req = hyper::Request::post("/");
    if let Some(n) = declared {
        req = req.header(header::CONTENT_LENGTH, n);
    }
    let (parts, ()) = req.body(()).expect("a request").into_parts();
    let body = Frames(frames.iter().map(|f| Bytes::copy_from_slice(f)).collect());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(receive(&parts, body, &opts, &info))
        .map(|(bytes, _)| bytes)
        .map_err(|r| r.status().as_u16())
}

#[test]
fn a_body_over_64_kib_in_two_frames_is_gathered_whole() {
    // Was a panic: the room reserved was clamped between the bytes received (80 KiB)
    // and 64 KiB.
    let (a, b) = (vec![b'a'; 40 * 1024], vec![b'b'; 40 * 1024]);
    let whole = [a.as_slice(), b.as_slice()].concat();
    assert_eq!(received(&[&a, &b], None).as_deref(), Ok(whole.as_slice()));
    assert_eq!(
        received(&[&a, &b], Some(whole.len())).as_deref(),
        Ok(whole.as_slice())
    );
}

#[test]
fn bodies_are_received_whole_in_one_frame_or_many() {
    assert_eq!(received(&[b"[1,2]"], Some(5)).as_deref(), Ok(&b"[1,2]"[..]));
    assert_eq!(
        received(&[b"[1", b",", b"2]"], None).as_deref(),
        Ok(&b"[1,2]"[..])
    );
    assert_eq!(received(&[], None).as_deref(), Ok(&b""[..]));
    let over = vec![b'x'; super::super::IngestOptions::default().max_body + 1];
    assert_eq!(received(&[&over[..10], &over[10..]], None), Err(413));
}

#[test]
fn bucket_refills_over_time() {
    let mut b = TokenBucket::new(2);
    let t0 = Instant::now();
    assert!(b.take(t0));
    assert!(b.take(t0));
    assert!(!b.take(t0));
    assert!(b.take(t0 + Duration::from_millis(600)));
}

#[test]
fn secrets_compare_whole() {
    assert!(same_secret(b"abc", b"abc"));
    assert!(!same_secret(b"abc", b"abd"));
    assert!(!same_secret(b"abc", b"ab"));
}

/// The body of an answer, as text.
fn answer_text(r: HttpResponse) -> String {
    use http_body_util::BodyExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let body = rt
        .block_on(r.into_body().collect())
        .expect("a full body")
        .to_bytes();
    String::from_utf8(body.to_vec()).expect("UTF-8")
}

#[test]
fn an_answer_is_terminal_safe_whatever_its_entries_hold() {
    // ASCII without DEL goes out as written; DEL, C1 controls and bidi overrides are escaped
    // (entries are written escaped already: this is the answer's own net).
    for (entry, want) in [
        (r#"{"id":"plain"}"#, r#"{"id":"plain"}"#),
        ("{\"id\":\"a\u{7f}b\"}", r#"{"id":"a\u007fb"}"#),
        (
            "{\"id\":\"a\u{7f}b\u{9b}c\u{202e}d\"}",
            r#"{"id":"a\u007fb\u009bc\u202ed"}"#,
        ),
        ("{\"id\":\"caf\u{e9}\"}", "{\"id\":\"caf\u{e9}\"}"),
    ] {
        let reply = Reply {
            events: entry.as_bytes().to_vec(),
            usable: 1,
            by_status: [1, 0, 0, 0],
            ..Reply::default()
        };
        let r = respond(&reply);
        assert_eq!(r.status(), StatusCode::OK);
        let text = answer_text(r);
        assert_eq!(
            text,
            format!(r#"{{"status":200,"received":1,"events":[{want}]}}"#)
        );
        let parsed: Value = serde_json::from_str(&text).expect("JSON");
        let sent: Value = serde_json::from_str(entry).expect("JSON");
        assert_eq!(parsed["events"][0], sent, "the same JSON, escaped or not");
    }
}
