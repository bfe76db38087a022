//! The accept loop: HTTP/1 and HTTP/2 connections served by hyper with the
//! limits a server on a network needs, and a shutdown that ends.
//!
//! - A client gets [`Timeouts::header_read`] to send its first bytes (the
//!   request line, or HTTP/2's preface) and then a request's headers; a
//!   connection that sends nothing or trickles them is closed. Bodies have
//!   their own limit ([`Timeouts::body_read`], applied where they are read).
//! - An HTTP/2 connection is pinged when idle and closed when the pings go
//!   unanswered.
//! - At most [`MAX_CONNECTIONS`] connections are served at once; beyond
//!   that, new ones wait in the listener's backlog.
//! - Each request carries the address of the peer it came from
//!   (`ConnectInfo<SocketAddr>` in its extensions), which decides whether
//!   an authenticating proxy's headers are believed.
//! - With TLS, the handshake must finish within the same first-bytes
//!   time; ALPN offers HTTP/2 and HTTP/1.1.
//! - On shutdown the listener closes at once, idle connections close, and
//!   requests in flight get [`Timeouts::shutdown_grace`] to finish;
//!   connections still open then are aborted, so a client cannot hold the
//!   process.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use crate::Timeouts;

/// The most connections served at once.
pub(crate) const MAX_CONNECTIONS: usize = 4096;

/// HTTP/2's connection preface; hyper reads this many bytes to tell the
/// protocols apart.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    tls: Option<Arc<crate::tls::Tls>>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(timeouts.header_read);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(10));
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (builder, router, watcher) = (builder.clone(), router.clone(), graceful.watcher());
        let first_bytes = timeouts.header_read;
        let tls = tls.as_ref().map(|tls| tokio_rustls::TlsAcceptor::from(tls.current()));
        connections.spawn(async move {
            let _slot = slot;
            let service = TowerToHyperService::new(router.map_request(move |mut request: Request<_>| {
                request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                request
            }));
            let served = match tls {
                None => {
                    if tokio::time::timeout(first_bytes, protocol_known(&stream)).await.is_err() {
                        tracing::debug!("a connection sent too little to start a request in time");
                        return;
                    }
                    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(connection.into_owned()).await
                }
                Some(acceptor) => {
                    let stream = match tokio::time::timeout(first_bytes, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            tracing::debug!(%error, "a TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!("a TLS handshake did not finish in time");
                            return;
                        }
                    };
                    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(connection.into_owned()).await
                }
            };
            if let Err(error) = served {
                tracing::debug!(error = %error, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    let open = connections.len();
    tokio::select! {
        () = graceful.shutdown() => tracing::info!(connections = open, "every connection finished"),
        () = tokio::time::sleep(timeouts.shutdown_grace) => tracing::warn!(
            grace_seconds = timeouts.shutdown_grace.as_secs_f64(),
            "connections still open after the grace period are aborted"
        ),
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// Resolves once the client has sent enough for hyper to tell HTTP/1 from
/// HTTP/2 without waiting: bytes that cannot be the HTTP/2 preface, or the
/// whole preface (or the end of the stream, which hyper reports itself).
async fn protocol_known(stream: &TcpStream) {
    let mut buffer = [0u8; H2_PREFACE.len()];
    loop {
        match stream.peek(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) if read == H2_PREFACE.len() || buffer[..read] != H2_PREFACE[..read] => return,
            // Part of the preface: wait for more.
            Ok(_) => {
                if stream.readable().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}
