//! WebSocket streams (`ws://`, `wss://` through rustls): one record per text (or binary)
//! message. Pings keep dead connections from hanging; a dropped connection is reconnected
//! with backoff, and the state says so.

use super::backoff::Backoff;
use super::stream::Seq;
use super::{Body, Ctx};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message;

/// How often the peer is pinged; two intervals without any frame close the connection.
const PING_EVERY: Duration = Duration::from_secs(15);

pub async fn run(url: String, ctx: Ctx) {
    let mut backoff = Backoff::default();
    let seq = Seq::default();
    loop {
        let attempt =
            tokio::time::timeout(super::backoff::CONNECT_TIMEOUT, connect(&url, &ctx)).await;
        let reason = match attempt {
            Ok(Ok(stream)) => {
                let session = backoff.connected(&ctx.status);
                let outcome = read(stream, &ctx, &seq).await;
                backoff.disconnected(&session, &ctx.status);
                match outcome {
                    Ok(None) => return,
                    Ok(Some(why)) | Err(why) => why,
                }
            }
            Ok(Err(e)) => e,
            Err(_) => format!(
                "cannot connect to {url}: no handshake in {} s",
                super::backoff::CONNECT_TIMEOUT.as_secs()
            ),
        };
        backoff.retry_later(&ctx.status, reason).await;
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str, ctx: &Ctx) -> Result<WsStream, String> {
    let mut request = url
        .into_client_request()
        .map_err(|e| format!("{url}: {e}"))?;
    for (name, value) in &ctx.opts.ws_headers {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("header {name}: {e}"))?;
        let value = HeaderValue::from_str(value).map_err(|e| format!("header {name}: {e}"))?;
        request.headers_mut().insert(name, value);
    }
    let connector = url
        .starts_with("wss://")
        .then(|| tokio_tungstenite::Connector::Rustls(super::client_tls(&ctx.opts.extra_roots)));
    let (stream, _) =
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector)
            .await
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    Ok(stream)
}

/// Reads until the connection ends: `Ok(None)` when the hub is gone, else the reason.
async fn read(mut stream: WsStream, ctx: &Ctx, seq: &Seq) -> Result<Option<String>, String> {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut silent_ticks = 0u32;
    loop {
        tokio::select! {
            msg = stream.next() => {
                silent_ticks = 0;
                let body = match msg {
                    Some(Ok(Message::Text(text))) => Body::Raw(text.into()),
                    Some(Ok(Message::Binary(bytes))) => Body::Raw(bytes),
                    Some(Ok(Message::Close(frame))) => {
                        let why = frame.map_or_else(String::new, |f| format!(": {} {}", f.code, f.reason));
                        return Ok(Some(format!("the server closed the stream{why}")));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(format!("stream error: {e}")),
                    None => return Ok(Some("the stream ended".into())),
                };
                let body = match body {
                    Body::Raw(raw) if raw.len() > ctx.opts.max_line_bytes => Body::TooLong(raw.len() as u64),
                    other => other,
                };
                if !ctx.send(vec![ctx.record(seq.next(), body)]).await {
                    return Ok(None);
                }
            }
            _ = ping.tick() => {
                silent_ticks += 1;
                if silent_ticks > 2 {
                    return Ok(Some("no answer to pings".into()));
                }
                if let Err(e) = stream.send(Message::Ping(Vec::new().into())).await {
                    return Err(format!("ping failed: {e}"));
                }
            }
        }
    }
}
