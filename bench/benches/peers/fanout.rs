//! The tokio baseline of a shared pipelined connection: the least any client must do that lets many tasks share one
//! connection on tokio.
//!
//! **A benchmark reference, not a client.** One connection task and the caller tasks, nothing else: each caller sends
//! its request bytes and a oneshot through a channel and awaits the oneshot; the connection task writes whatever is
//! queued in one write and hands each reply to the oldest caller. No checks, no timeouts, no recovery, meta `mg`
//! and `ms` only. On a multi-threaded runtime it yields once before writing while replies are outstanding, the
//! batching our client does (without it a worker writes one request per syscall, and this probe would be slower
//! than the design allows).
//!
//! The raw probe (`probe.rs`) is the ceiling of the wire: one thread, no tasks. This one is the baseline of the
//! runtime: what the scheduler costs, the wake-ups of callers by the connection's task, on each runtime flavour.
//! Whatever ours costs beyond it is our client's; what it costs beyond the raw probe is tokio's.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use memkit_bench::probe::{MetaFrame, frame_meta};
use memkit_bench::{Session, Target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

/// A caller's request: its bytes, and where the reply's value (or a miss, or a stored `HD`) goes.
type Call = (Bytes, oneshot::Sender<Reply>);

/// What the connection hands a caller: `Some(value)` for `VA`, `None` for `EN` and `HD`, or what went wrong.
type Reply = Result<Option<Bytes>, String>;

/// The probe against one server: one connection task, shared by every session.
pub(crate) struct Fanout {
    tx: mpsc::Sender<Call>,
}

impl Fanout {
    /// A target for `addr` (`HOST:PORT`); spawns the connection task, so it must be made inside the runtime it is
    /// measured on.
    pub(crate) fn new(addr: &str) -> Self {
        let (tx, rx) = mpsc::channel(1024);
        let multi_thread =
            tokio::runtime::Handle::current().runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread;
        tokio::spawn(connection(addr.to_owned(), rx, multi_thread));
        Self { tx }
    }
}

/// One task's handle on the shared connection.
pub(crate) struct FanoutSession(mpsc::Sender<Call>);

impl Target for Fanout {
    type Session = FanoutSession;

    fn name(&self) -> String {
        "tokio fan-out probe (1 conn, task per caller)".to_owned()
    }

    async fn session(&self) -> Result<FanoutSession, String> {
        Ok(FanoutSession(self.tx.clone()))
    }
}

impl FanoutSession {
    async fn call(&self, request: Bytes) -> Reply {
        let (tx, rx) = oneshot::channel();
        self.0.send((request, tx)).await.map_err(|_| "fan-out probe: connection task ended".to_owned())?;
        rx.await.map_err(|_| "fan-out probe: connection task ended".to_owned())?
    }
}

impl Session for FanoutSession {
    async fn get(&mut self, key: &str) -> Result<Option<Bytes>, String> {
        self.call(Bytes::from(format!("mg {key} v\r\n"))).await
    }

    async fn set(&mut self, key: &str, value: &Bytes) -> Result<(), String> {
        let mut request = format!("ms {key} {}\r\n", value.len()).into_bytes();
        request.extend_from_slice(value);
        request.extend_from_slice(b"\r\n");
        self.call(Bytes::from(request)).await.map(drop)
    }

    async fn get_many<'a>(&'a mut self, _keys: &'a [&'a str]) -> Result<Vec<(Bytes, Bytes)>, String> {
        Err("the fan-out probe does not multi-get".to_owned())
    }
}

/// The connection task: batches queued requests into one write, hands each reply to the oldest caller.
async fn connection(addr: String, mut rx: mpsc::Receiver<Call>, multi_thread: bool) {
    let fail_all = |waiting: &mut VecDeque<oneshot::Sender<Reply>>, error: String| {
        for caller in waiting.drain(..) {
            let _ = caller.send(Err(error.clone()));
        }
    };
    let mut waiting: VecDeque<oneshot::Sender<Reply>> = VecDeque::new();
    let stream = match TcpStream::connect(&addr).await {
        Ok(stream) => stream,
        Err(e) => {
            while let Some((_, caller)) = rx.recv().await {
                let _ = caller.send(Err(format!("fan-out probe connect: {e}")));
            }
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut r, mut w) = stream.into_split();
    let mut rbuf = BytesMut::with_capacity(64 * 1024);
    let mut wbuf: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        tokio::select! {
            read = r.read_buf(&mut rbuf) => {
                match read {
                    Ok(0) | Err(_) => return fail_all(&mut waiting, "fan-out probe: connection lost".to_owned()),
                    Ok(_) => {}
                }
                loop {
                    let (len, reply) = match frame_meta(&rbuf) {
                        Ok(Some(framed)) => framed,
                        Ok(None) => break,
                        Err(e) => return fail_all(&mut waiting, format!("fan-out {e}")),
                    };
                    let whole = rbuf.split_to(len).freeze();
                    let value = match reply {
                        MetaFrame::Value(range) => Some(whole.slice(range)),
                        MetaFrame::Miss | MetaFrame::Stored => None,
                    };
                    if let Some(caller) = waiting.pop_front() {
                        let _ = caller.send(Ok(value));
                    }
                }
            }
            call = rx.recv() => {
                let Some((request, caller)) = call else { return };
                let busy = !waiting.is_empty();
                wbuf.extend_from_slice(&request);
                waiting.push_back(caller);
                if busy && multi_thread {
                    tokio::task::yield_now().await;
                }
                while let Ok((request, caller)) = rx.try_recv() {
                    wbuf.extend_from_slice(&request);
                    waiting.push_back(caller);
                }
                // A probe's batches are small (64 requests of a few dozen bytes, or 64 sets of 10 KiB): writing them
                // whole before reading cannot fill both socket buffers.
                if w.write_all(&wbuf).await.is_err() {
                    return fail_all(&mut waiting, "fan-out probe: write failed".to_owned());
                }
                wbuf.clear();
            }
        }
    }
}
