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
//! and every pending caller gets [`Error::Protocol`]: a typed error, never another caller's reply.
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

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::{mpsc, oneshot};
#[cfg(feature = "tls")]
use tokio_rustls::client::TlsStream;

use crate::Error;
use crate::config::{Config, Endpoint, ServerAddr};
use crate::pool::Backoff;
use crate::proto::{Assembler, ErrorReply, ProtocolError, ReplyDecoder, ReplyKind, Response};

/// Stop draining the queue into the write buffer past this many bytes; write first.
const WRITE_BUDGET: usize = 256 * 1024;
/// Read buffer growth step.
const READ_CHUNK: usize = 64 * 1024;

/// The reply a caller waits for.
pub(crate) type ReplySender = oneshot::Sender<Result<Response, Error>>;

/// A request ready for the wire.
pub(crate) struct Command {
    pub(crate) bytes: Bytes,
    pub(crate) kind: ReplyKind,
    /// The opaque tokens the request carries, which its replies must echo.
    pub(crate) tags: Option<Tags>,
    pub(crate) reply: ReplySender,
}

/// The opaque tokens of one request: `count` consecutive values from `first` (wrapping), one per meta command in
/// it. A single `mg`/`ms`/`md`/`ma` has one; a run of quiet `mg`s one per key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tags {
    pub(crate) first: u32,
    pub(crate) count: u32,
}

impl Tags {
    /// Whether `opaque` is one of these tokens.
    pub(crate) fn contains(self, opaque: u32) -> bool {
        opaque.wrapping_sub(self.first) < self.count
    }
}

/// A cheap handle to a connection task. The task connects on first use, reconnects after a failure when the next
/// request comes (backing off after failed connects), and shuts the socket down when every handle is gone.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    tx: mpsc::Sender<Command>,
}

impl Connection {
    /// Starts the task (it connects lazily). `seed` seeds its backoff jitter. Must be called inside a tokio
    /// runtime.
    pub(crate) fn spawn(addr: ServerAddr, config: Arc<Config>, seed: u64) -> Self {
        let (tx, rx) = mpsc::channel(config.queue_depth.max(1));
        tokio::spawn(run(addr, config, rx, seed));
        Self { tx }
    }

    /// Queues a command; waits while the queue is full.
    pub(crate) async fn send(&self, command: Command) -> Result<(), Command> {
        self.tx.send(command).await.map_err(|e| e.0)
    }
}

async fn run(addr: ServerAddr, config: Arc<Config>, mut rx: mpsc::Receiver<Command>, seed: u64) {
    let server = addr.to_string();
    let decoder = ReplyDecoder::with_max_value(config.max_value_size.saturating_mul(2).max(1 << 20));
    let mut backoff = Backoff::new(&config, seed);
    // After a failed connect: no new attempt before this instant; requests until then get this error.
    let mut backing_off: Option<(tokio::time::Instant, Error)> = None;
    // Idle until a request comes; then connect, serve until the socket fails or every handle is dropped.
    while let Some(first) = rx.recv().await {
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
        let mut serving = Serving {
            server: &server,
            decoder,
            max_in_flight: config.max_in_flight.max(1),
            pending: VecDeque::new(),
            wbuf: BytesMut::with_capacity(READ_CHUNK),
            rbuf: BytesMut::with_capacity(READ_CHUNK),
        };
        serving.enqueue(first);
        let outcome = match connected {
            Ok(Stream::Tcp(mut tcp)) => {
                let (mut r, mut w) = tcp.split();
                serving.serve(&mut r, &mut w, &mut rx).await
            }
            Ok(Stream::Unix(mut unix)) => {
                let (mut r, mut w) = unix.split();
                serving.serve(&mut r, &mut w, &mut rx).await
            }
            #[cfg(feature = "tls")]
            Ok(Stream::Tls(tls)) => {
                // `serve` shuts the write half down, which sends TLS close_notify before the TCP FIN.
                let (mut r, mut w) = tokio::io::split(*tls);
                serving.serve(&mut r, &mut w, &mut rx).await
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
            }
        }
    }
}

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    // Boxed: a rustls connection is a few KiB, the other variants a file descriptor.
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream<TcpStream>>),
}

/// Connects, does the TLS handshake when [`Config::tls`] is set and authenticates when [`Config::auth`] is: the
/// stream returned is ready for requests, and nothing but the handshake and the auth exchange was sent on it.
async fn establish(addr: &ServerAddr, config: &Config, server: &str) -> Result<Stream, Error> {
    let connect_error = |e: io::Error| Error::Connect { server: server.to_owned(), source: Arc::new(e) };
    let mut stream = match addr.endpoint() {
        Endpoint::Tcp { host, port } => {
            let tcp = TcpStream::connect((host.as_str(), *port)).await.map_err(connect_error)?;
            // Requests are already batched into one write; Nagle would only add latency.
            tcp.set_nodelay(true).map_err(connect_error)?;
            over_tls_if_configured(tcp, host, config, server).await?
        }
        Endpoint::Unix(path) => {
            #[cfg(feature = "tls")]
            if config.tls.is_some() {
                // memcached serves TLS on TCP listeners only.
                return Err(Error::Tls {
                    server: server.to_owned(),
                    reason: "TLS is only spoken over TCP, not to a Unix socket".to_owned(),
                });
            }
            Stream::Unix(UnixStream::connect(path).await.map_err(connect_error)?)
        }
    };
    if let Some(credentials) = &config.auth {
        let authenticated = match &mut stream {
            Stream::Tcp(s) => credentials.authenticate(s, server).await,
            Stream::Unix(s) => credentials.authenticate(s, server).await,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => credentials.authenticate(s.as_mut(), server).await,
        };
        if let Err(error) = authenticated {
            shutdown(&mut stream).await;
            return Err(error);
        }
    }
    Ok(stream)
}

/// The TLS handshake on `tcp` when [`Config::tls`] is set; `tcp` as it is otherwise.
#[cfg(feature = "tls")]
async fn over_tls_if_configured(tcp: TcpStream, host: &str, config: &Config, server: &str) -> Result<Stream, Error> {
    match &config.tls {
        Some(tls) => Ok(Stream::Tls(Box::new(tls.handshake(host, tcp, server).await?))),
        None => Ok(Stream::Tcp(tcp)),
    }
}

/// Without the `tls` feature there is no TLS to speak: `tcp` as it is.
#[cfg(not(feature = "tls"))]
async fn over_tls_if_configured(tcp: TcpStream, _host: &str, _config: &Config, _server: &str) -> Result<Stream, Error> {
    Ok(Stream::Tcp(tcp))
}

/// Closes a stream that will never carry a request (after refused auth): close_notify and FIN, errors ignored.
async fn shutdown(stream: &mut Stream) {
    let _ = match stream {
        Stream::Tcp(s) => s.shutdown().await,
        Stream::Unix(s) => s.shutdown().await,
        #[cfg(feature = "tls")]
        Stream::Tls(s) => s.shutdown().await,
    };
}

struct Pending {
    kind: ReplyKind,
    tags: Option<Tags>,
    reply: ReplySender,
    /// The parts of a long reply read so far.
    assembler: Assembler,
}

struct Serving<'a> {
    server: &'a str,
    decoder: ReplyDecoder,
    max_in_flight: usize,
    pending: VecDeque<Pending>,
    wbuf: BytesMut,
    rbuf: BytesMut,
}

impl Serving<'_> {
    fn enqueue(&mut self, cmd: Command) {
        self.wbuf.extend_from_slice(&cmd.bytes);
        self.pending.push_back(Pending {
            kind: cmd.kind,
            tags: cmd.tags,
            reply: cmd.reply,
            assembler: Assembler::default(),
        });
    }

    fn fail_all(&mut self, error: &Error) {
        for p in self.pending.drain(..) {
            let _ = p.reply.send(Err(error.clone()));
        }
    }

    fn reset(&self, cause: &str) -> Error {
        Error::ConnectionReset { server: self.server.to_owned(), cause: cause.to_owned() }
    }

    /// Runs the connection. `Ok` when every handle is gone; `Err` when the socket failed or the stream can no
    /// longer be trusted (pending callers get the error). Either way the socket is shut down before it is dropped,
    /// so the server sees the connection go at once.
    async fn serve<R, W>(&mut self, r: &mut R, w: &mut W, rx: &mut mpsc::Receiver<Command>) -> Result<(), Error>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let result = self.serve_until_done(r, w, rx).await;
        let _ = w.shutdown().await;
        result
    }

    async fn serve_until_done<R, W>(
        &mut self,
        r: &mut R,
        w: &mut W,
        rx: &mut mpsc::Receiver<Command>,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let io_error = |e: io::Error| Error::Io { server: self.server.to_owned(), source: Arc::new(e) };
        let mut closing = false;
        loop {
            if closing && self.wbuf.is_empty() && self.pending.iter().all(|p| p.reply.is_closed()) {
                // Every handle is gone and nobody waits for a reply.
                return Ok(());
            }
            if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 4 {
                self.rbuf.reserve(READ_CHUNK);
            }
            let can_take = !closing && self.pending.len() < self.max_in_flight && self.wbuf.len() < WRITE_BUDGET;
            tokio::select! {
                read = r.read_buf(&mut self.rbuf) => {
                    match read {
                        Ok(0) => return Err(io_error(io::ErrorKind::UnexpectedEof.into())),
                        Ok(_) => self.dispatch_replies()?,
                        Err(e) => return Err(io_error(e)),
                    }
                }
                written = w.write(&self.wbuf), if !self.wbuf.is_empty() => {
                    match written {
                        Ok(0) => return Err(io_error(io::ErrorKind::WriteZero.into())),
                        Ok(n) => self.wbuf.advance(n),
                        Err(e) => return Err(io_error(e)),
                    }
                }
                cmd = rx.recv(), if can_take => {
                    match cmd {
                        Some(cmd) => {
                            self.enqueue(cmd);
                            // Take everything else already queued, so one write carries the whole batch.
                            while self.pending.len() < self.max_in_flight && self.wbuf.len() < WRITE_BUDGET {
                                match rx.try_recv() {
                                    Ok(cmd) => self.enqueue(cmd),
                                    Err(_) => break,
                                }
                            }
                        }
                        None => closing = true,
                    }
                }
            }
        }
    }

    /// Decodes the front slot's reply; `None` when more bytes are needed.
    fn decode_front(&mut self) -> Result<Option<Response>, ProtocolError> {
        match self.pending.front_mut() {
            Some(front) => front.assembler.decode(&self.decoder, front.kind, &mut self.rbuf),
            None => Ok(None),
        }
    }

    /// The front slot's reply if every meta reply in it echoes one of the slot's opaque tokens (or the slot has
    /// none; error lines never carry one); otherwise the stream has shifted and the reply belongs to someone else.
    fn check_tags(&self, response: Response) -> Result<Response, ProtocolError> {
        let Some(tags) = self.pending.front().and_then(|p| p.tags) else { return Ok(response) };
        let foreign = match &response {
            Response::Meta(reply) => Some(reply).filter(|r| !r.flags.opaque.is_some_and(|o| tags.contains(o))),
            Response::MetaBatch(replies) => replies
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .find(|r| !r.flags.opaque.is_some_and(|o| tags.contains(o))),
            _ => None,
        };
        match foreign {
            None => Ok(response),
            Some(reply) => {
                let echoed = reply.flags.opaque.map_or_else(|| "no opaque".to_owned(), |o| format!("O{o}"));
                let last = tags.first.wrapping_add(tags.count - 1);
                let shown = format!("expected O{}..=O{last}, got {:?} with {echoed}", tags.first, reply.code);
                Err(ProtocolError::new("reply answers another request (opaque token mismatch)", shown.as_bytes()))
            }
        }
    }

    /// Completes pending slots with every whole reply in the read buffer.
    fn dispatch_replies(&mut self) -> Result<(), Error> {
        while !self.pending.is_empty() {
            let decoded = self.decode_front().and_then(|reply| match reply {
                Some(response) => self.check_tags(response).map(Some),
                None => Ok(None),
            });
            let response = match decoded {
                Ok(Some(response)) => response,
                Ok(None) => return Ok(()),
                Err(source) => {
                    let error = Error::Protocol { server: self.server.to_owned(), source };
                    if let Some(p) = self.pending.pop_front() {
                        let _ = p.reply.send(Err(error.clone()));
                    }
                    self.fail_all(&self.reset("a reply did not follow the protocol"));
                    return Err(error);
                }
            };
            // `ERROR` means the server did not parse what we sent as we meant it, and `bad data chunk` that it
            // read a data block at the wrong length: either way later replies may be shifted. Give up the stream.
            let misaligned = match &response {
                Response::Error(ErrorReply::Error) => Some("the server replied ERROR"),
                Response::Error(ErrorReply::Client(msg)) if msg.starts_with(b"bad data chunk") => {
                    Some("the server replied CLIENT_ERROR bad data chunk")
                }
                _ => None,
            };
            if let Some(p) = self.pending.pop_front() {
                let _ = p.reply.send(Ok(response));
            }
            if let Some(cause) = misaligned {
                let error = self.reset(cause);
                self.fail_all(&error);
                return Err(error);
            }
        }
        if !self.rbuf.is_empty() {
            let source = ProtocolError::new("reply with no request waiting for it", &self.rbuf);
            return Err(Error::Protocol { server: self.server.to_owned(), source });
        }
        Ok(())
    }
}
