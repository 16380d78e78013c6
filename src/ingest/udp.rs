//! UDP: one record per datagram. Datagrams cannot wait: when the hub's queue is full they are
//! dropped and counted.

use super::status::SourceState;
use super::stream::Seq;
use super::{Body, Ctx};
use tokio::net::UdpSocket;

pub async fn run(addr: String, ctx: Ctx) {
    let socket = match UdpSocket::bind(&addr).await {
        Ok(s) => s,
        Err(e) => {
            return ctx
                .status
                .set(SourceState::Failed(format!("cannot bind {addr}: {e}")))
        }
    };
    let local = socket.local_addr().map_or(addr, |a| a.to_string());
    ctx.status.set(SourceState::Listening(local));
    let seq = Seq::default();
    let mut buf = vec![0u8; 65_536];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, _peer)) => {
                let data = &buf[..n];
                let body = if n > ctx.opts.max_line_bytes {
                    Body::TooLong(n as u64)
                } else {
                    let trimmed = data.strip_suffix(b"\n").unwrap_or(data);
                    Body::Raw(bytes::Bytes::copy_from_slice(
                        trimmed.strip_suffix(b"\r").unwrap_or(trimmed),
                    ))
                };
                if !ctx.try_send(vec![ctx.record(seq.next(), body)]) {
                    return;
                }
            }
            Err(e) => ctx.status.error(format!("receive: {e}")),
        }
    }
}
