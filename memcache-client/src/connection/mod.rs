//! One pipelined connection: a task that owns the socket, writes queued requests in batches and matches replies to
//! callers in order.
//!
//! Callers send an encoded request and a oneshot sender through a bounded channel. The task appends everything
//! queued into one buffer and writes it at once, and pushes a pending slot per request onto a FIFO in the same
//! order. Replies are decoded from the read buffer and complete the slots front to back. A slot whose caller has
//! gone (timed out, future dropped) is still consumed and its reply discarded: that is what keeps one cancelled
//! request from handing its reply to the next caller.
//!
//! Order is not trusted alone: a meta request carries an opaque token (`O<n>`, see `Request::encode_tagged`) that
//! the server copies into its reply, and a reply whose token is not its slot's means the stream has shifted (a
//! reply injected, lost or answered twice somewhere between here and the server). The connection is then closed
//! and every pending caller gets [`Error::Protocol`]: a typed error, never another caller's reply. A batch of tagged
//! commands must be answered once per command, in order, each reply with exactly its command's token, so a reply
//! lost from the middle of a batch is caught too. A reply that carries no token (a classic `get`) is only trusted
//! once the [`Fence`] sent behind it has been answered.
//!
//! A silent server is noticed too. When the oldest request has waited past the request timeout and nothing at all
//! was read meanwhile (a frozen server, a half-open connection, a hung proxy), the connection is closed and every
//! pending caller gets [`Error::Timeout`]; the next request opens a new one. A late reply can then reach nobody: it
//! would arrive on a closed socket. TCP keepalive runs on every TCP socket, for idle connections, and the pool
//! closes a server's connections when it is marked down ([`Connection::spawn`]'s `marked_down`), so recovery starts
//! from a fresh connection.
//!
//! Deadlines are the connection's job too: each request carries its caller's deadline, and one timer per
//! connection (the watchdog above) answers every request still waiting at its deadline with [`Error::Timeout`],
//! keeping its slot so the late reply is read and discarded. Callers arm no timer of their own (one per request
//! would cost a lock on the runtime's timer wheel each, contended on a multi-threaded runtime); only a caller that
//! finds the queue full waits on one, for room in the queue.
//!
//! On a multi-threaded runtime a caller's wake-up runs this task right after the caller, on the same worker (tokio's
//! LIFO slot), which would write one request per syscall; while replies are outstanding the task yields once
//! first, so the worker's other ready callers queue theirs and one write carries the batch (see `serve`).
//!
//! Reading and writing happen in one `select!` loop, so a large batch of requests can never deadlock against a
//! server that is blocked writing replies nobody reads.
//!
//! A connection is ready only after its TLS handshake ([`Config::tls`]) and its auth exchange ([`Config::auth`]),
//! both within the connect timeout: no request is ever written to an unauthenticated socket.
//!
//! The task never spins reconnecting. It connects when a request comes; after a broken connection the next request
//! reconnects at once, but after a failed connect attempt the next one waits for an exponential backoff with
//! jitter ([`Backoff`]), and requests that come meanwhile fail at once with the last connect error.

mod backoff;
mod checks;
mod establish;
mod serve;

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::Error;
use crate::config::{Config, ServerAddr};
use crate::proto::{ReplyDecoder, ReplyKind, Response};
use backoff::Backoff;
pub(crate) use checks::{Fence, Tags};
use establish::{Stream, establish};
use serve::Serving;

/// The reply a caller waits for.
pub(crate) type ReplySender = oneshot::Sender<Result<Response, Error>>;

/// A request ready for the wire, as the client hands it to a server.
pub(crate) struct Outgoing {
    pub(crate) bytes: Bytes,
    pub(crate) kind: ReplyKind,
    /// The opaque tokens the request carries, which its replies must echo.
    pub(crate) tags: Option<Tags>,
    /// The reply that must follow the command's own before that one is trusted (the bytes end with its request).
    pub(crate) fence: Option<Fence>,
    /// When the caller gives up: the connection answers it with [`Error::Timeout`] at this instant if its reply has
    /// not come, and the stall watchdog uses the very same instant, so a connection found silent is closed in the
    /// same timer tick as its oldest caller is answered, before that caller can send the next request onto it.
    pub(crate) deadline: Instant,
}

impl Outgoing {
    /// The command a connection queues: this request and where its reply goes.
    pub(crate) fn with_reply(self, reply: ReplySender) -> Command {
        Command { request: self, reply }
    }
}

/// A request queued on a connection, with the caller's reply slot.
pub(crate) struct Command {
    pub(crate) request: Outgoing,
    pub(crate) reply: ReplySender,
}

/// A cheap handle to a connection task. The task connects on first use, reconnects after a failure when the next
/// request comes (backing off after failed connects), and shuts the socket down when every handle is gone.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    tx: mpsc::Sender<Command>,
}

impl Connection {
    /// Starts the task (it connects lazily). `seed` seeds its backoff jitter. Each change of `marked_down` closes
    /// the open socket (pending callers get [`Error::ConnectionReset`]); the next request connects afresh. Must be
    /// called inside a tokio runtime.
    pub(crate) fn spawn(addr: ServerAddr, config: Arc<Config>, seed: u64, marked_down: watch::Receiver<u64>) -> Self {
        let (tx, rx) = mpsc::channel(config.queue_depth.max(1));
        tokio::spawn(run(addr, config, rx, seed, marked_down));
        Self { tx }
    }

    /// Queues a command if there is room in the queue.
    pub(crate) fn try_send(&self, command: Command) -> Result<(), mpsc::error::TrySendError<Command>> {
        self.tx.try_send(command)
    }

    /// Queues a command; waits while the queue is full.
    pub(crate) async fn send(&self, command: Command) -> Result<(), Command> {
        self.tx.send(command).await.map_err(|e| e.0)
    }
}

async fn run(
    addr: ServerAddr,
    config: Arc<Config>,
    mut rx: mpsc::Receiver<Command>,
    seed: u64,
    mut marked_down: watch::Receiver<u64>,
) {
    let server = addr.to_string();
    let decoder = ReplyDecoder::with_max_value(config.max_value_size.saturating_mul(2).max(1 << 20));
    let mut backoff = Backoff::new(&config, seed);
    // After a failed connect: no new attempt before this instant; requests until then get this error.
    let mut backing_off: Option<(tokio::time::Instant, Error)> = None;
    // A request taken from the queue just as the connection was found silent, never written: the next
    // connection's first.
    let mut carried: Option<Command> = None;
    // Idle until a request comes; then connect, serve until the socket fails or every handle is dropped.
    loop {
        let first = match carried.take() {
            Some(first) => first,
            None => match rx.recv().await {
                Some(first) => first,
                None => return,
            },
        };
        if let Some((retry_at, error)) = &backing_off
            && tokio::time::Instant::now() < *retry_at
        {
            let _ = first.reply.send(Err(error.clone()));
            while let Ok(cmd) = rx.try_recv() {
                let _ = cmd.reply.send(Err(error.clone()));
            }
            continue;
        }
        let connected = match tokio::time::timeout(config.connect_timeout, establish(&addr, &config, &server)).await {
            Ok(result) => result,
            Err(_) => Err(Error::ConnectTimeout { server: server.clone(), timeout: config.connect_timeout }),
        };
        match &connected {
            Ok(_) => {
                backoff.reset();
                backing_off = None;
            }
            Err(error) => backing_off = Some((tokio::time::Instant::now() + backoff.next_delay(), error.clone())),
        }
        // A mark-down before this connection opened is not about it.
        marked_down.borrow_and_update();
        let mut serving = Serving::new(&server, decoder, &config);
        serving.enqueue(first);
        let outcome = match connected {
            Ok(Stream::Tcp(mut tcp)) => {
                let (mut r, mut w) = tcp.split();
                serving.serve(&mut r, &mut w, &mut rx, &mut marked_down).await
            }
            Ok(Stream::Unix(mut unix)) => {
                let (mut r, mut w) = unix.split();
                serving.serve(&mut r, &mut w, &mut rx, &mut marked_down).await
            }
            #[cfg(feature = "tls")]
            Ok(Stream::Tls(tls)) => {
                // `serve` shuts the write half down, which sends TLS close_notify before the TCP FIN.
                let (mut r, mut w) = tokio::io::split(*tls);
                serving.serve(&mut r, &mut w, &mut rx, &mut marked_down).await
            }
            Err(error) => {
                // Everything queued behind the first request would wait for the same failed connect: fail it too.
                while let Ok(cmd) = rx.try_recv() {
                    serving.enqueue(cmd);
                }
                Err(error)
            }
        };
        match outcome {
            Ok(()) => return,
            Err(error) => {
                tracing::debug!(%server, %error, "memcached connection failed; reconnecting on next request");
                serving.fail_all(&error);
                carried = serving.carried.take();
            }
        }
    }
}
