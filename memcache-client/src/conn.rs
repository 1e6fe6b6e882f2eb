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
//! Reading and writing happen in one `select!` loop, so a large batch of requests can never deadlock against a
//! server that is blocked writing replies nobody reads.
//!
//! A connection is ready only after its TLS handshake ([`Config::tls`]) and its auth exchange ([`Config::auth`]),
//! both within the connect timeout: no request is ever written to an unauthenticated socket.
//!
//! The task never spins reconnecting. It connects when a request comes; after a broken connection the next request
//! reconnects at once, but after a failed connect attempt the next one waits for an exponential backoff with
//! jitter ([`Backoff`]), and requests that come meanwhile fail at once with the last connect error.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Duration, Instant};
#[cfg(feature = "tls")]
use tokio_rustls::client::TlsStream;

use crate::Error;
use crate::config::{Config, Endpoint, ServerAddr};
use crate::pool::Backoff;
use crate::proto::{Assembler, ErrorReply, MetaCode, ProtocolError, ReplyDecoder, ReplyKind, Response, Value};

/// Stop draining the queue into the write buffer past this many bytes; write first.
const WRITE_BUDGET: usize = 256 * 1024;
/// Read buffer growth step.
const READ_CHUNK: usize = 64 * 1024;
/// TCP keepalive: idle time before the first probe, the time between probes, and how many unanswered probes end the
/// connection. In-flight requests are guarded by the request timeout; this catches an idle connection whose peer
/// vanished (a partition, a VM gone), within about half a minute instead of the kernel's default two hours.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(10);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVE_PROBES: u32 = 3;

/// The reply a caller waits for.
pub(crate) type ReplySender = oneshot::Sender<Result<Response, Error>>;

/// A request ready for the wire.
pub(crate) struct Command {
    pub(crate) bytes: Bytes,
    pub(crate) kind: ReplyKind,
    /// The opaque tokens the request carries, which its replies must echo.
    pub(crate) tags: Option<Tags>,
    /// The reply that must follow the command's own before that one is trusted (the bytes end with its request).
    pub(crate) fence: Option<Fence>,
    /// When the caller gives up: the stall watchdog uses the very same instant, so a connection found silent is
    /// closed in the same timer tick as its oldest caller times out, before that caller can send the next request
    /// onto it.
    pub(crate) deadline: Instant,
    pub(crate) reply: ReplySender,
}

/// The request that closes a command whose reply carries no token, and whose reply must come right after the
/// command's own: until it has been read, the command's reply is not handed to its caller.
///
/// A classic `get` is answered with `VALUE` blocks and `END`, which name no request: if a reply were lost,
/// repeated or injected ahead of it, the batch would take another request's reply (misses for keys that exist, or
/// another batch's hits) and every later reply on the connection would be shifted by one. The fence makes any such
/// shift show at once, as a reply of the wrong kind or with the wrong token where the fence's reply belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fence {
    /// `mg <key> O<token>` (meta protocol): answered `HD` or `EN` with this token, which no other request carries,
    /// so even the loss of whole replies (a batch's and its fence's) is caught.
    Token(u32),
    /// `version` (text protocol, which has no tokens): answered `VERSION ...`, or `SERVER_ERROR ...` by a proxy
    /// (twemproxy sends `version` to one fixed backend, and answers for it when that one is down; the batch's own
    /// reply, from other backends, is still good). Catches a reply lost, cut short or injected ahead of the batch's
    /// own; a loss of whole batch-and-fence pairs is left to the key check.
    Version,
}

impl Fence {
    fn kind(self) -> ReplyKind {
        match self {
            Fence::Token(_) => ReplyKind::Meta,
            Fence::Version => ReplyKind::Version,
        }
    }

    /// Whether `reply` is this fence's answer.
    fn answered_by(self, reply: &Response) -> bool {
        match (self, reply) {
            (Fence::Token(token), Response::Meta(r)) => {
                matches!(r.code, MetaCode::Success | MetaCode::Miss) && r.flags.opaque == Some(token)
            }
            (Fence::Version, Response::Version(_) | Response::Error(ErrorReply::Server(_))) => true,
            _ => false,
        }
    }
}

/// The opaque tokens of one request: `count` consecutive values from `first` (wrapping), one per meta command in
/// it, in order. A single `mg`/`ms`/`md`/`ma` has one; a multi-get run of `mg`s one per key.
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
    /// Starts the task (it connects lazily). `seed` seeds its backoff jitter. Each change of `marked_down` closes
    /// the open socket (pending callers get [`Error::ConnectionReset`]); the next request connects afresh. Must be
    /// called inside a tokio runtime.
    pub(crate) fn spawn(addr: ServerAddr, config: Arc<Config>, seed: u64, marked_down: watch::Receiver<u64>) -> Self {
        let (tx, rx) = mpsc::channel(config.queue_depth.max(1));
        tokio::spawn(run(addr, config, rx, seed, marked_down));
        Self { tx }
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
        let mut serving = Serving {
            server: &server,
            decoder,
            max_in_flight: config.max_in_flight.max(1),
            timeout: config.request_timeout,
            pending: VecDeque::new(),
            wbuf: BytesMut::with_capacity(READ_CHUNK),
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            last_read: Instant::now(),
            carried: None,
        };
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
            let keepalive = socket2::TcpKeepalive::new()
                .with_time(KEEPALIVE_IDLE)
                .with_interval(KEEPALIVE_INTERVAL)
                .with_retries(KEEPALIVE_PROBES);
            socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive).map_err(connect_error)?;
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
    fence: Option<Fence>,
    reply: ReplySender,
    /// The parts of a long reply read so far.
    assembler: Assembler,
    /// A classic retrieval's request, whose keys every `VALUE` in the reply must be for.
    request: Option<Bytes>,
    /// The command's own reply, read and checked, waiting for its fence's.
    held: Option<Response>,
    /// When its caller gives up.
    deadline: Instant,
}

struct Serving<'a> {
    server: &'a str,
    decoder: ReplyDecoder,
    max_in_flight: usize,
    timeout: Duration,
    pending: VecDeque<Pending>,
    wbuf: BytesMut,
    rbuf: BytesMut,
    /// When bytes last arrived.
    last_read: Instant,
    /// A request taken from the queue but not written when the connection was found silent.
    carried: Option<Command>,
}

impl Serving<'_> {
    fn enqueue(&mut self, cmd: Command) {
        self.wbuf.extend_from_slice(&cmd.bytes);
        self.pending.push_back(Pending {
            kind: cmd.kind,
            tags: cmd.tags,
            fence: cmd.fence,
            reply: cmd.reply,
            assembler: Assembler::default(),
            request: (cmd.kind == ReplyKind::Retrieval).then_some(cmd.bytes),
            held: None,
            deadline: cmd.deadline,
        });
    }

    /// When the stall watchdog must look again, or `Err` if the connection has stalled: the oldest request is past
    /// its deadline and nothing was read since it was sent (or for a whole timeout, if it is a long reply still
    /// arriving). A server that is slow but answering keeps its connection; one that says nothing loses it.
    fn stall_check(&self, now: Instant) -> Result<Option<Instant>, Error> {
        let Some(oldest) = self.pending.front() else { return Ok(None) };
        if now < oldest.deadline {
            return Ok(Some(oldest.deadline));
        }
        let sent = oldest.deadline.checked_sub(self.timeout).unwrap_or(oldest.deadline);
        let quiet_since = self.last_read.max(sent);
        match quiet_since + self.timeout {
            due if now < due => Ok(Some(due)),
            _ => Err(Error::Timeout { server: self.server.to_owned(), timeout: self.timeout }),
        }
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
    async fn serve<R, W>(
        &mut self,
        r: &mut R,
        w: &mut W,
        rx: &mut mpsc::Receiver<Command>,
        marked_down: &mut watch::Receiver<u64>,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let result = self.serve_until_done(r, w, rx, marked_down).await;
        let _ = w.shutdown().await;
        result
    }

    async fn serve_until_done<R, W>(
        &mut self,
        r: &mut R,
        w: &mut W,
        rx: &mut mpsc::Receiver<Command>,
        marked_down: &mut watch::Receiver<u64>,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let io_error = |e: io::Error| Error::Io { server: self.server.to_owned(), source: Arc::new(e) };
        let mut closing = false;
        // One timer for the whole connection, re-armed only when it fires (at most once per request timeout while
        // requests are pending), never per request: the hot path pays nothing for it.
        let watchdog = tokio::time::sleep_until(self.pending.front().map_or_else(Instant::now, |p| p.deadline));
        tokio::pin!(watchdog);
        let mut watching = !self.pending.is_empty();
        // Pinned once: polling it again costs nothing until the pool marks the server down. It ends (with an
        // error) only if the pool is gone, and then the handles are gone too.
        let down = marked_down.changed();
        tokio::pin!(down);
        let mut down_live = true;
        loop {
            // Before anything else, so a request that arrives in the tick in which the oldest one's caller gave up
            // is not taken onto a connection that is about to be found silent: it stays queued for the next one.
            if watching && watchdog.is_elapsed() {
                match self.stall_check(Instant::now())? {
                    Some(next) => watchdog.as_mut().reset(next),
                    None => watching = false,
                }
            }
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
                        Ok(_) => {
                            self.last_read = Instant::now();
                            self.dispatch_replies()?;
                        }
                        Err(e) => return Err(io_error(e)),
                    }
                }
                () = &mut watchdog, if watching => {
                    match self.stall_check(Instant::now())? {
                        Some(next) => watchdog.as_mut().reset(next),
                        None => watching = false,
                    }
                }
                changed = &mut down, if down_live => {
                    down_live = false;
                    if changed.is_ok() {
                        return Err(Error::ConnectionReset {
                            server: self.server.to_owned(),
                            cause: "the server was marked down".to_owned(),
                        });
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
                            // The wake-up that brought this request may be the very tick in which the oldest
                            // caller gave up (`select!` polls its branches in random order): if the connection
                            // is silent, the request goes to the next one instead, unwritten.
                            if watching && watchdog.is_elapsed() {
                                match self.stall_check(Instant::now()) {
                                    Ok(Some(next)) => watchdog.as_mut().reset(next),
                                    Ok(None) => watching = false,
                                    Err(stalled) => {
                                        self.carried = Some(cmd);
                                        return Err(stalled);
                                    }
                                }
                            }
                            self.enqueue(cmd);
                            // Take everything else already queued, so one write carries the whole batch.
                            while self.pending.len() < self.max_in_flight && self.wbuf.len() < WRITE_BUDGET {
                                match rx.try_recv() {
                                    Ok(cmd) => self.enqueue(cmd),
                                    Err(_) => break,
                                }
                            }
                            if !watching && let Some(oldest) = self.pending.front() {
                                watchdog.as_mut().reset(oldest.deadline);
                                watching = true;
                            }
                        }
                        None => closing = true,
                    }
                }
            }
        }
    }

    /// The front slot's whole reply, its tokens and its fence checked; `None` when more bytes are needed.
    fn next_reply(&mut self) -> Result<Option<Response>, ProtocolError> {
        loop {
            let Some(front) = self.pending.front_mut() else { return Ok(None) };
            if front.held.is_some()
                && let Some(fence) = front.fence
            {
                let Some(reply) = self.decoder.decode(fence.kind(), &mut self.rbuf)? else { return Ok(None) };
                if !fence.answered_by(&reply) {
                    let shown = format!("expected the fence's {fence:?} reply, got {reply:?}");
                    return Err(ProtocolError::new("reply answers another request (fence mismatch)", shown.as_bytes()));
                }
                return Ok(front.held.take());
            }
            let Some(response) = front.assembler.decode(&self.decoder, front.kind, &mut self.rbuf)? else {
                return Ok(None);
            };
            let response = check_tags(front.tags, response)?;
            if let (Some(request), Response::Values(values)) = (&front.request, &response)
                && let Some(stray) = stray_value(request, values)
            {
                let shown = format!("a value for {:?}", stray.key);
                return Err(ProtocolError::new(
                    "reply answers another request (a key not asked for)",
                    shown.as_bytes(),
                ));
            }
            match front.fence {
                // `ERROR` means the server did not read the request as sent; the connection is dropped anyway.
                Some(_) if !matches!(response, Response::Error(ErrorReply::Error)) => front.held = Some(response),
                _ => return Ok(Some(response)),
            }
        }
    }

    /// Completes pending slots with every whole reply in the read buffer.
    fn dispatch_replies(&mut self) -> Result<(), Error> {
        while !self.pending.is_empty() {
            let response = match self.next_reply() {
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

/// `response` if it carries exactly the tokens of the request it is matched with: a single meta reply one of
/// `tags`, a batch one reply per command, in order, each with its own command's token (error lines carry none but
/// still take their command's place). Anything else means the stream has shifted (a reply lost, repeated or
/// injected) and the reply belongs to someone else. Untagged replies pass as they are.
fn check_tags(tags: Option<Tags>, response: Response) -> Result<Response, ProtocolError> {
    let Some(tags) = tags else { return Ok(response) };
    let expected = || {
        let last = tags.first.wrapping_add(tags.count.saturating_sub(1));
        format!("expected O{}..=O{last}", tags.first)
    };
    let echoed = |reply: &crate::proto::MetaResponse| {
        let token = reply.flags.opaque.map_or_else(|| "no opaque".to_owned(), |o| format!("O{o}"));
        format!("{}, got {:?} with {token}", expected(), reply.code)
    };
    let mismatch = match &response {
        Response::Meta(reply) if !reply.flags.opaque.is_some_and(|o| tags.contains(o)) => Some(echoed(reply)),
        Response::MetaBatch(replies) if replies.len() != tags.count as usize => {
            Some(format!("{}: {} replies to {} commands", expected(), replies.len(), tags.count))
        }
        Response::MetaBatch(replies) => (0u32..).zip(replies).find_map(|(position, reply)| match reply {
            Ok(reply) if reply.flags.opaque != Some(tags.first.wrapping_add(position)) => Some(echoed(reply)),
            _ => None,
        }),
        _ => None,
    };
    match mismatch {
        None => Ok(response),
        Some(shown) => {
            Err(ProtocolError::new("reply answers another request (opaque token mismatch)", shown.as_bytes()))
        }
    }
}

/// The first value in a classic retrieval's reply for a key that `request` (`get`/`gets <key>*` or `gat`/`gats
/// <exptime> <key>*`, as encoded) did not ask for: such a value answers some other request. Text keys are sent as
/// given, so the echo must match exactly.
fn stray_value<'v>(request: &[u8], values: &'v [Value]) -> Option<&'v Value> {
    let line = &request[..memchr::memchr(b'\r', request).unwrap_or(request.len())];
    let mut asked = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    if asked.next().is_some_and(|command| command.starts_with(b"gat")) {
        asked.next();
    }
    // memcached answers in the order asked: walk both together, in linear time. Only a value out of that order
    // (a proxy that reorders) costs a set of the keys.
    let mut walk = asked.clone();
    let mut set: Option<HashSet<&[u8]>> = None;
    values.iter().find(|value| {
        let key = &value.key[..];
        !walk.any(|k| k == key) && !set.get_or_insert_with(|| asked.clone().collect()).contains(key)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::MetaReplyFlags;

    fn value(key: &str) -> Value {
        Value { key: Bytes::copy_from_slice(key.as_bytes()), flags: 0, cas: None, data: Bytes::new() }
    }

    fn meta(code: MetaCode, opaque: Option<u32>) -> crate::proto::MetaResponse {
        let flags = MetaReplyFlags { opaque, ..MetaReplyFlags::default() };
        crate::proto::MetaResponse { code, flags, value: None }
    }

    #[test]
    fn a_value_for_a_key_not_asked_for_is_stray_in_any_order() {
        let request = b"get a b c\r\nmg a O7\r\n";
        assert!(stray_value(request, &[value("a"), value("c")]).is_none());
        // A proxy may reorder; a repeat is an answer to a repeated key.
        assert!(stray_value(request, &[value("c"), value("a"), value("b")]).is_none());
        assert!(stray_value(b"get a a\r\nversion\r\n", &[value("a"), value("a")]).is_none());
        assert_eq!(stray_value(request, &[value("a"), value("x")]).map(|v| &v.key[..]), Some(&b"x"[..]));
        // The fence's key and the gat exptime are not keys of the retrieval.
        assert!(stray_value(request, &[value("O7")]).is_some());
        assert!(stray_value(b"gat 60 k\r\n", &[value("60")]).is_some());
        assert!(stray_value(b"gats 60 k\r\n", &[value("k")]).is_none());
    }

    #[test]
    fn a_batch_must_answer_each_command_once_with_its_own_token_in_order() {
        let tags = Some(Tags { first: u32::MAX, count: 2 });
        let batch = |replies: Vec<Result<crate::proto::MetaResponse, ErrorReply>>| Response::MetaBatch(replies);
        let ok = batch(vec![Ok(meta(MetaCode::Value, Some(u32::MAX))), Ok(meta(MetaCode::Miss, Some(0)))]);
        assert!(check_tags(tags, ok).is_ok(), "tokens wrap");
        let error_in_place = batch(vec![Err(ErrorReply::Error), Ok(meta(MetaCode::Miss, Some(0)))]);
        assert!(check_tags(tags, error_in_place).is_ok());
        for shifted in [
            batch(vec![Ok(meta(MetaCode::Miss, Some(0))), Ok(meta(MetaCode::Value, Some(u32::MAX)))]),
            batch(vec![Ok(meta(MetaCode::Value, Some(u32::MAX)))]),
            batch(vec![Ok(meta(MetaCode::Value, Some(u32::MAX))), Ok(meta(MetaCode::Miss, None))]),
            batch(vec![
                Ok(meta(MetaCode::Value, Some(u32::MAX))),
                Ok(meta(MetaCode::Miss, Some(0))),
                Ok(meta(MetaCode::Miss, Some(0))),
            ]),
        ] {
            let error = check_tags(tags, shifted).expect_err("a shifted batch");
            assert_eq!(error.reason(), "reply answers another request (opaque token mismatch)");
        }
    }

    #[test]
    fn a_fence_is_answered_only_by_its_own_reply() {
        let token = Fence::Token(9);
        assert!(token.answered_by(&Response::Meta(meta(MetaCode::Success, Some(9)))));
        assert!(token.answered_by(&Response::Meta(meta(MetaCode::Miss, Some(9)))));
        assert!(!token.answered_by(&Response::Meta(meta(MetaCode::Miss, Some(8)))));
        assert!(!token.answered_by(&Response::Meta(meta(MetaCode::NoOp, None))));
        assert!(!token.answered_by(&Response::Version(Bytes::from_static(b"1.6.18"))));
        assert!(Fence::Version.answered_by(&Response::Version(Bytes::from_static(b"1.6.18"))));
        let proxy_error = Response::Error(ErrorReply::Server(Bytes::from_static(b"Connection refused")));
        assert!(Fence::Version.answered_by(&proxy_error));
        assert!(!token.answered_by(&proxy_error));
        assert!(!Fence::Version.answered_by(&Response::Error(ErrorReply::Error)));
        assert!(!Fence::Version.answered_by(&Response::Values(Vec::new())));
    }
}
