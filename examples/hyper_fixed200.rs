//! A reference for `benches/ingest.sh`: the HTTP stack the endpoint is built on (tokio with
//! two workers, hyper's HTTP/1 server) and nothing else. It reads each request's body whole
//! and answers a fixed 200, as nginx does in the benchmark. The endpoint's figure against this
//! one is what its own work (validation, capture, commit, answer) costs; this one against
//! nginx's is what the stack costs.
//!
//! Usage: `hyper_fixed200 ADDR` (prints `listening on ADDR` once bound, then serves until
//! killed).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // The body is read, as the endpoint must; its bytes are not looked at.
    let _ = req.into_body().collect().await;
    Ok(Response::new(Full::new(Bytes::from_static(
        b"{\"status\":200}",
    ))))
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("listening on {}", listener.local_addr()?);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(answer);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
