//! Serving an open connection: the loop that writes queued requests in batches, reads replies and hands each to
//! its caller in order, and watches for a silent server.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{Duration, Instant};

use super::checks::{Fence, Tags, check_tags, stray_value};
use super::{Command, ReplySender};
use crate::Error;
use crate::config::Config;
use crate::proto::{Assembler, ErrorReply, ProtocolError, ReplyDecoder, ReplyKind, Response};

/// Stop draining the queue into the write buffer past this many bytes; write first.
const WRITE_BUDGET: usize = 256 * 1024;
/// Read buffer growth step.
const READ_CHUNK: usize = 64 * 1024;

struct Pending {
    kind: ReplyKind,
    tags: Option<Tags>,
    fence: Option<Fence>,
    /// Where the reply goes; `None` once the caller was answered (its deadline passed): the reply is then still
    /// read, and discarded.
    reply: Option<ReplySender>,
    /// A classic retrieval's request, whose keys every `VALUE` in the reply must be for.
    request: Option<Bytes>,
    /// When its caller gives up.
    deadline: Instant,
}

pub(super) struct Serving<'a> {
    server: &'a str,
    decoder: ReplyDecoder,
    max_in_flight: usize,
    timeout: Duration,
    pending: VecDeque<Pending>,
    /// The parts of the front slot's reply read so far (only the front slot's reply is ever being read, so this
    /// lives here and not in each slot, which stay small to move).
    assembler: Assembler,
    /// The front slot's own reply, read and checked, waiting for its fence's.
    held: Option<Response>,
    wbuf: BytesMut,
    rbuf: BytesMut,
    /// When bytes last arrived.
    last_read: Instant,
    /// A request taken from the queue but not written when the connection was found silent.
    pub(super) carried: Option<Command>,
    /// Whether to yield once before writing a batch while replies are outstanding (multi-threaded runtimes only:
    /// see the request branch of `serve_until_done`).
    batch_by_yielding: bool,
}

impl<'a> Serving<'a> {
    /// A fresh connection's state: nothing pending, empty buffers.
    pub(super) fn new(server: &'a str, decoder: ReplyDecoder, config: &Config) -> Self {
        Self {
            server,
            decoder,
            max_in_flight: config.max_in_flight.max(1),
            timeout: config.request_timeout,
            pending: VecDeque::new(),
            assembler: Assembler::default(),
            held: None,
            wbuf: BytesMut::with_capacity(READ_CHUNK),
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            last_read: Instant::now(),
            carried: None,
            batch_by_yielding: tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread),
        }
    }

    pub(super) fn enqueue(&mut self, cmd: Command) {
        let Command { request, reply } = cmd;
        self.wbuf.extend_from_slice(&request.bytes);
        self.pending.push_back(Pending {
            kind: request.kind,
            tags: request.tags,
            fence: request.fence,
            reply: Some(reply),
            request: (request.kind == ReplyKind::Retrieval).then_some(request.bytes),
            deadline: request.deadline,
        });
    }

    /// Takes everything already queued (within the in-flight and write budgets), so one write carries the batch.
    fn take_queued(&mut self, rx: &mut mpsc::Receiver<Command>) {
        while self.pending.len() < self.max_in_flight && self.wbuf.len() < WRITE_BUDGET {
            match rx.try_recv() {
                Ok(cmd) => self.enqueue(cmd),
                Err(_) => break,
            }
        }
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

    pub(super) fn fail_all(&mut self, error: &Error) {
        for p in self.pending.drain(..) {
            if let Some(reply) = p.reply {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }

    /// Answers every caller whose deadline has passed with [`Error::Timeout`] (their slots stay, so their replies are
    /// still read and discarded), and returns the next deadline still to come. One timer per connection does this
    /// for all of its requests: the callers arm none (a timer per request costs a lock on the runtime's timer wheel,
    /// contended on a multi-threaded runtime).
    fn expire(&mut self, now: Instant) -> Option<Instant> {
        // Deadlines mostly rise front to back, but not always (a caller that waited for room in a full queue comes
        // in behind later ones): look at every slot. The watchdog fires about once per request timeout under load
        // (by then the front it was armed for has long been answered), so the scan costs nothing per request.
        let mut next: Option<Instant> = None;
        for p in &mut self.pending {
            if p.deadline > now {
                if p.reply.is_some() {
                    next = Some(next.map_or(p.deadline, |n| n.min(p.deadline)));
                }
            } else if let Some(reply) = p.reply.take() {
                let _ = reply.send(Err(Error::Timeout { server: self.server.to_owned(), timeout: self.timeout }));
            }
        }
        next
    }

    /// The watchdog's work when it fires: callers past their deadline answered, the connection checked for a stall.
    /// `Ok(Some(at))`: look again at `at`; `Ok(None)`: nothing pending.
    fn on_watchdog(&mut self, now: Instant) -> Result<Option<Instant>, Error> {
        let next_deadline = self.expire(now);
        let next_stall = self.stall_check(now)?;
        Ok(match (next_deadline, next_stall) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    fn reset(&self, cause: &str) -> Error {
        Error::ConnectionReset { server: self.server.to_owned(), cause: cause.to_owned() }
    }

    /// Runs the connection. `Ok` when every handle is gone; `Err` when the socket failed or the stream can no
    /// longer be trusted (pending callers get the error). Either way the socket is shut down before it is dropped,
    /// so the server sees the connection go at once.
    pub(super) async fn serve<R, W>(
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
                match self.on_watchdog(Instant::now())? {
                    Some(next) => watchdog.as_mut().reset(next),
                    None => watching = false,
                }
            }
            if closing
                && self.wbuf.is_empty()
                && self.pending.iter().all(|p| p.reply.as_ref().is_none_or(ReplySender::is_closed))
            {
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
                    match self.on_watchdog(Instant::now())? {
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
                                match self.on_watchdog(Instant::now()) {
                                    Ok(Some(next)) => watchdog.as_mut().reset(next),
                                    Ok(None) => watching = false,
                                    Err(stalled) => {
                                        self.carried = Some(cmd);
                                        return Err(stalled);
                                    }
                                }
                            }
                            let busy = !self.pending.is_empty();
                            self.enqueue(cmd);
                            self.take_queued(rx);
                            // On a multi-threaded runtime the caller's wake-up puts this task in its worker's LIFO
                            // slot: it would run right after each caller and write one request per syscall. While
                            // replies are outstanding anyway, let the worker's other ready tasks queue theirs first
                            // (a yielded task runs once its worker has nothing else), so one write carries the
                            // batch, as on the current-thread runtime. An idle connection writes at once.
                            if busy && self.batch_by_yielding {
                                tokio::task::yield_now().await;
                                self.take_queued(rx);
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
            let Some(front) = self.pending.front() else { return Ok(None) };
            if self.held.is_some()
                && let Some(fence) = front.fence
            {
                let Some(reply) = self.decoder.decode(fence.kind(), &mut self.rbuf)? else { return Ok(None) };
                if !fence.answered_by(&reply) {
                    let shown = format!("expected the fence's {fence:?} reply, got {reply:?}");
                    return Err(ProtocolError::new("reply answers another request (fence mismatch)", shown.as_bytes()));
                }
                return Ok(self.held.take());
            }
            let Some(response) = self.assembler.decode(&self.decoder, front.kind, &mut self.rbuf)? else {
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
                Some(_) if !matches!(response, Response::Error(ErrorReply::Error)) => self.held = Some(response),
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
                    if let Some(reply) = self.pending.pop_front().and_then(|p| p.reply) {
                        let _ = reply.send(Err(error.clone()));
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
            if let Some(reply) = self.pending.pop_front().and_then(|p| p.reply) {
                let _ = reply.send(Ok(response));
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

#[cfg(test)]
mod tests {
    use tokio::sync::oneshot;

    use super::*;
    use crate::connection::Outgoing;
    use crate::proto::MetaCode;

    fn command(deadline: Instant) -> (Command, oneshot::Receiver<Result<Response, Error>>) {
        let (reply, rx) = oneshot::channel();
        let bytes = Bytes::from_static(b"mn\r\n");
        (Outgoing { bytes, kind: ReplyKind::Meta, tags: None, fence: None, deadline }.with_reply(reply), rx)
    }

    #[test]
    fn the_connection_answers_each_request_at_its_deadline_and_still_reads_its_reply() {
        let config = Config::default();
        let mut serving = Serving::new("test:1", ReplyDecoder::with_max_value(1 << 20), &config);
        let now = Instant::now();
        let (late, mut late_rx) = command(now - Duration::from_millis(1));
        let (due_now, mut due_now_rx) = command(now);
        let (later, mut later_rx) = command(now + Duration::from_secs(1));
        serving.enqueue(late);
        serving.enqueue(due_now);
        serving.enqueue(later);

        assert_eq!(serving.expire(now), Some(now + Duration::from_secs(1)), "the next deadline to watch");
        for rx in [&mut late_rx, &mut due_now_rx] {
            assert!(matches!(rx.try_recv(), Ok(Err(Error::Timeout { .. }))));
        }
        assert!(later_rx.try_recv().is_err(), "not due yet: still waiting");
        assert_eq!(serving.pending.len(), 3, "answered slots stay, so their replies are read in order");

        // The replies come: the two answered ones are read and dropped, the third reaches its caller.
        serving.rbuf.extend_from_slice(b"MN\r\nMN\r\nMN\r\n");
        serving.dispatch_replies().expect("three replies for three requests");
        assert!(serving.pending.is_empty());
        assert!(matches!(later_rx.try_recv(), Ok(Ok(Response::Meta(r))) if r.code == MetaCode::NoOp));
    }
}
