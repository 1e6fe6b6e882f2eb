//! Serving the router over TCP, with bounds on what a slow or idle client can hold.
//!
//! `axum::serve` gives hyper no timer, so a client that opens a connection and sends its headers one byte a minute
//! (slowloris) keeps a task and a file descriptor for as long as it likes. Here each connection is served by
//! hyper's HTTP/1 builder with a timer:
//!
//! - **headers**: [`Limits::header_read_timeout`] from the connection's start, and again from the end of each
//!   response (so it bounds idle keep-alive connections too); past it hyper closes the connection.
//! - **bodies**: [`Limits::body_read_timeout`] once the headers are in, enforced where the body is read (the JSON
//!   extractor) so the client gets 408 `request_timeout` as JSON; see [`crate::app_with`].
//! - **count**: at most [`Limits::max_connections`] at once; further clients wait in the kernel's listen backlog
//!   rather than each costing a task and a descriptor here.
//!
//! A request hyper cannot parse at all (a malformed request line, headers past its size limits) never reaches the
//! router: hyper answers it with a bare 400, 414 or 431 and closes the connection, so those few replies carry no
//! JSON body. Everything that parses as HTTP gets the shop's JSON errors.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How long clients may take and how many may be connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's headers, from the connection's start or the end of the previous response.
    pub header_read_timeout: Duration,
    /// Time to send a request's body once its headers arrived.
    pub body_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    /// 10 s for headers, 30 s for a body, 4,096 connections.
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 4_096,
        }
    }
}

/// How long a shutdown waits for requests in flight before dropping their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// After an accept error that is about this process (out of descriptors or memory), wait this long before the
/// next accept instead of spinning on the same error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` under `limits` until `shutdown` completes, then stops accepting and lets the
/// requests in flight finish (for up to 30 s).
///
/// The router should come from [`crate::app_with`] with the same `limits`, so bodies are bounded too.
/// Accept errors do not end it: they are logged and accepting goes on.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        // Take a slot before accepting: at the limit, new clients queue in the backlog, not here.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(err) if is_per_connection(&err) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "accept failed; backing off");
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        // Replies are written whole; don't let Nagle hold the last segment back.
        let _ = stream.set_nodelay(true);
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone())));
        ::metrics::gauge!("http_connections_open").increment(1);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                // Header timeouts, resets and malformed requests: the client's doing, not worth more than debug.
                tracing::debug!(error = %err, "connection ended with an error");
            }
            ::metrics::gauge!("http_connections_open").decrement(1);
            drop(slot);
        });
    }

    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; dropping their connections");
    }
}

/// Accept errors that concern only the connection being accepted (it was reset before we took it); the next
/// accept is fine.
fn is_per_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    )
}
