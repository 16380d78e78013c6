//! Sources over real loopback sockets and real files: following, rotation, truncation,
//! reconnection after the peer restarts, garbage and oversized input.

#![allow(clippy::unwrap_used, clippy::result_large_err)] // test code: a panic is a test failure

mod support;

use ecapi_scope::ingest::status::{Counters, SourceState};
use ecapi_scope::ingest::IngestOptions;
use std::io::Write;
use support::{fast_options, start, texts};
use tokio::io::AsyncWriteExt;

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_is_followed_through_appends_truncation_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.ndjson");
    let spec = path.display().to_string();
    let mut h = start(&spec, fast_options());
    // The file does not exist yet.
    h.state(|s| matches!(s, SourceState::Waiting(_))).await;
    append(&path, "a\n\nb\n");
    let first = h.records(2).await;
    assert_eq!(texts(&first), ["a", "b"]);
    assert_eq!(
        first[1].line, 3,
        "physical line numbers, blank lines counted"
    );
    append(&path, "c\npartial");
    assert_eq!(texts(&h.records(1).await), ["c"]);
    append(&path, " line\n");
    assert_eq!(texts(&h.records(1).await), ["partial line"]);
    // Truncation: read again from the start.
    std::fs::write(&path, "t1\n").unwrap();
    assert_eq!(texts(&h.records(1).await), ["t1"]);
    // Rotation: what was appended before the rename is read, then the new file.
    append(&path, "last-of-old\n");
    std::fs::rename(&path, dir.path().join("events.ndjson.1")).unwrap();
    append(&path, "new-1\n");
    let rest = h.records(2).await;
    assert_eq!(texts(&rest), ["last-of-old", "new-1"]);
    assert_eq!(rest[1].line, 1);
    h.handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_follow_reads_to_the_end_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.ndjson");
    std::fs::write(&path, "1\n2\n3").unwrap();
    let opts = IngestOptions {
        follow: false,
        ..fast_options()
    };
    let mut h = start(&path.display().to_string(), opts);
    assert_eq!(texts(&h.records(3).await), ["1", "2", "3"]);
    h.state(|s| *s == SourceState::Ended).await;
    let missing = start(
        &dir.path().join("nope").display().to_string(),
        IngestOptions {
            follow: false,
            ..fast_options()
        },
    );
    assert!(matches!(
        missing.state(|s| matches!(s, SourceState::Failed(_))).await,
        SourceState::Failed(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_files_and_captures_are_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("e.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(b"x\ny\n").unwrap();
    enc.finish().unwrap();
    let mut h = start(&gz.display().to_string(), fast_options());
    assert_eq!(texts(&h.records(2).await), ["x", "y"]);
    h.state(|s| *s == SourceState::Ended).await;

    let cap = dir.path().join("cap.ndjson");
    let mut c = ecapi_scope::ingest::capture::Capture::open(&cap).unwrap();
    c.write(
        1_700_000_000_123,
        "tcp-listen://127.0.0.1:9",
        Ok(b"{\"a\":1}"),
    )
    .unwrap();
    c.flush().unwrap();
    let mut h = start(
        &cap.display().to_string(),
        IngestOptions {
            follow: false,
            ..fast_options()
        },
    );
    let r = h.records(1).await;
    assert_eq!(texts(&r), ["{\"a\":1}"]);
    assert_eq!(r[0].received_ms, 1_700_000_000_123);
    assert_eq!(r[0].label.as_deref(), Some("tcp-listen://127.0.0.1:9"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_client_reconnects_when_the_peer_restarts() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut h = start(&format!("tcp://{addr}"), fast_options());
    let (mut conn, _) = listener.accept().await.unwrap();
    conn.write_all(b"one\ntwo\n").await.unwrap();
    assert_eq!(texts(&h.records(2).await), ["one", "two"]);
    // The peer goes away entirely, then comes back on the same port.
    drop(conn);
    drop(listener);
    h.state(|s| matches!(s, SourceState::Reconnecting { .. }))
        .await;
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let (mut conn, _) = listener.accept().await.unwrap();
    h.state(|s| *s == SourceState::Connected).await;
    conn.write_all(b"three\n").await.unwrap();
    let r = h.records(1).await;
    assert_eq!(texts(&r), ["three"]);
    assert_eq!(r[0].line, 3, "record numbers go on across reconnections");
    assert!(Counters::get(&h.status.counters.connections) >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_listener_isolates_a_client_sending_garbage_and_huge_lines() {
    let opts = IngestOptions {
        max_line_bytes: 64 * 1024,
        ..fast_options()
    };
    let mut h = start("tcp-listen://127.0.0.1:0", opts);
    let addr = h.listening().await;
    let mut good_a = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut bad = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut good_b = tokio::net::TcpStream::connect(&addr).await.unwrap();
    bad.write_all(b"\x00\xff garbage {{{\n").await.unwrap();
    let huge = vec![b'x'; 3 * 1024 * 1024];
    let sender = tokio::spawn(async move {
        bad.write_all(&huge).await.unwrap();
        bad.write_all(b"\nafter-huge\n").await.unwrap();
        bad
    });
    good_a.write_all(b"a1\na2\n").await.unwrap();
    good_b.write_all(b"b1\n").await.unwrap();
    let _bad = sender.await.unwrap();
    let got = texts(&h.records(6).await);
    for want in ["a1", "a2", "b1", "after-huge", "<too long: 3145728>"] {
        assert!(got.iter().any(|g| g == want), "{want} missing from {got:?}");
    }
    assert!(got.iter().any(|g| g.contains("garbage")));
    // The source's counters, kept a read at a time: every record, its bytes (a line too
    // long counts its length), the too-long line as malformed.
    let c = &h.status.counters;
    assert_eq!(Counters::get(&c.records), 6);
    assert_eq!(Counters::get(&c.malformed), 1);
    let garbage = b"\x00\xff garbage {{{".len() as u64;
    let lines = [2, 2, 2, 10].iter().sum::<u64>() + garbage + 3 * 1024 * 1024;
    assert_eq!(Counters::get(&c.bytes), lines);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_datagrams_are_records() {
    let mut h = start("udp://127.0.0.1:0", fast_options());
    let addr = h.listening().await;
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.send_to(b"{\"d\":1}\n", &addr).await.unwrap();
    sock.send_to(b"{\"d\":2}", &addr).await.unwrap();
    assert_eq!(texts(&h.records(2).await), ["{\"d\":1}", "{\"d\":2}"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_sockets_listen_and_connect() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    let mut h = start(&format!("unix-listen://{}", path.display()), fast_options());
    h.listening().await;
    let mut c = tokio::net::UnixStream::connect(&path).await.unwrap();
    c.write_all(b"u1\nu2\n").await.unwrap();
    assert_eq!(texts(&h.records(2).await), ["u1", "u2"]);

    let other = dir.path().join("peer.sock");
    let listener = tokio::net::UnixListener::bind(&other).unwrap();
    let mut h2 = start(&format!("unix://{}", other.display()), fast_options());
    let (mut conn, _) = listener.accept().await.unwrap();
    conn.write_all(b"p1\n").await.unwrap();
    assert_eq!(texts(&h2.records(1).await), ["p1"]);
    drop(conn);
    h2.state(|s| matches!(s, SourceState::Reconnecting { .. }))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_refuse_non_loopback_addresses_unless_allowed() {
    let h = start("tcp-listen://0.0.0.0:0", fast_options());
    match h.state(|s| matches!(s, SourceState::Failed(_))).await {
        SourceState::Failed(why) => assert!(why.contains("loopback"), "{why}"),
        other => panic!("{other:?}"),
    }
    let h = start(
        "tcp-listen://0.0.0.0:0",
        IngestOptions {
            bind_any: true,
            ..fast_options()
        },
    );
    h.listening().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_messages_headers_and_reconnection() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let opts = IngestOptions {
        ws_headers: vec![("Authorization".into(), "Bearer s3cret".into())],
        ..fast_options()
    };
    let mut h = start(&format!("ws://{addr}/stream"), opts);
    let (tcp, _) = listener.accept().await.unwrap();
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    let callback = move |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
        let auth = req
            .headers()
            .get("authorization")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        seen_tx.send(auth).unwrap();
        Ok(resp)
    };
    let mut ws = tokio_tungstenite::accept_hdr_async(tcp, callback)
        .await
        .unwrap();
    assert_eq!(seen_rx.recv().unwrap().as_deref(), Some("Bearer s3cret"));
    ws.send(Message::Text("{\"m\":1}".into())).await.unwrap();
    ws.send(Message::Text("{\"m\":2}".into())).await.unwrap();
    assert_eq!(texts(&h.records(2).await), ["{\"m\":1}", "{\"m\":2}"]);
    ws.close(None).await.unwrap();
    while ws.next().await.is_some() {}
    h.state(|s| matches!(s, SourceState::Reconnecting { .. }))
        .await;
    let (tcp, _) = listener.accept().await.unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    ws.send(Message::Text("{\"m\":3}".into())).await.unwrap();
    assert_eq!(texts(&h.records(1).await), ["{\"m\":3}"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_goes_through_rustls_and_checks_the_certificate() {
    use futures_util::SinkExt;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio_tungstenite::tungstenite::Message;
    ecapi_scope::ingest::init_tls();
    let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert: CertificateDer<'static> = ca.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ca.signing_key.serialize_der()));
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "wss://localhost:{}/events",
        listener.local_addr().unwrap().port()
    );

    // Trusting the private authority: messages flow.
    let mut h = start(
        &url,
        IngestOptions {
            extra_roots: vec![cert],
            ..fast_options()
        },
    );
    let (tcp, _) = listener.accept().await.unwrap();
    let tls = acceptor.accept(tcp).await.unwrap();
    let mut ws = tokio_tungstenite::accept_async(tls).await.unwrap();
    ws.send(Message::Text("{\"tls\":1}".into())).await.unwrap();
    assert_eq!(texts(&h.records(1).await), ["{\"tls\":1}"]);
    h.handle.abort();

    // Not trusting it: the handshake fails, the state says why, and the source retries.
    let untrusting = start(&url, fast_options());
    let (tcp, _) = listener.accept().await.unwrap();
    assert!(acceptor.accept(tcp).await.is_err());
    match untrusting
        .state(|s| matches!(s, SourceState::Reconnecting { .. }))
        .await
    {
        SourceState::Reconnecting { reason, .. } => {
            assert!(reason.to_lowercase().contains("certificate"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
