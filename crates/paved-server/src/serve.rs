//! The accept loop: HTTP/1 and HTTP/2 connections served by hyper with the
//! limits a server on a network needs, and a shutdown that ends.
//!
//! - A client gets [`Timeouts::header_read`] to send a request's headers
//!   (a connection that trickles them is closed); bodies have their own
//!   limit ([`Timeouts::body_read`], applied where they are read).
//! - On shutdown the listener closes at once, idle connections close, and
//!   requests in flight get [`Timeouts::shutdown_grace`] to finish;
//!   connections still open then are dropped, so a client cannot hold the
//!   process.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::Timeouts;

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(timeouts.header_read);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    let open = graceful.count();
    tokio::select! {
        () = graceful.shutdown() => tracing::info!(connections = open, "every connection finished"),
        () = tokio::time::sleep(timeouts.shutdown_grace) => tracing::warn!(
            grace_seconds = timeouts.shutdown_grace.as_secs_f64(),
            "connections still open after the grace period are dropped"
        ),
    }
}
