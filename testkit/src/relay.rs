//! A fault-injecting TCP relay: sits between a client and a server on loopback and, when told to, delays,
//! swallows, stalls, truncates, resets, repeats or garbles the server's replies, injects replies the server never
//! sent, or black-holes connections.
//!
//! Loud faults (a reset, a FIN) are the easy ones. The silent ones — [`Fault::BlackHole`], [`Fault::Stall`],
//! [`Fault::DropOneReply`], [`Fault::DuplicateOneReply`] — never reset anything: the socket stays open and the
//! client must notice on its own, as it must with a frozen server, a half-open connection or a hung proxy.
//!
//! Requests always pass through untouched; faults act on replies, at the moment a chunk of reply bytes arrives
//! from the server, so a fault switched on with [`Relay::set_fault`] affects the next reply on every open
//! connection and on every connection accepted later.
//!
//! ```no_run
//! use memkit_testkit::{Fault, Memcached, Relay};
//!
//! let server = Memcached::start();
//! let relay = Relay::start(&server.addr());
//! relay.set_fault(Fault::Reset); // the next reply resets its connection instead
//! println!("point the client at {}", relay.addr());
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the relay does to replies on their way back to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Forward replies as they come.
    #[default]
    None,
    /// Hold each chunk of reply bytes back this long before forwarding it (order is kept).
    Delay(Duration),
    /// Swallow replies; the connection stays open. A TCP stream never resumes after a hole, so once this fault
    /// is cleared, a connection that lost reply bytes is reset at its next reply instead of resuming: exactly
    /// what a real network black hole ends in.
    DropReplies,
    /// Forward the first half of the next chunk of reply bytes, then close the connection (FIN).
    TruncateReply,
    /// Instead of forwarding the next reply, reset the connection (`SO_LINGER` 0, then close: an RST).
    Reset,
    /// Answer with [`GARBAGE`] in place of the next chunk of reply bytes; the connection stays open.
    Garbage,
    /// Send these bytes ahead of each chunk of reply bytes, as if the server had sent them: a well-formed reply
    /// injected into the stream (a middlebox answering twice), which shifts every later reply by one unless the
    /// client notices. The connection stays open.
    Inject(&'static [u8]),
    /// Nothing passes either way on any connection that carries a byte while this is in force, and such a
    /// connection stays silent for good, even after the fault is cleared: no reply, no reset, no FIN (a half-open
    /// connection after a partition, a hung proxy). Connections that carry nothing meanwhile, and connections
    /// accepted after it is cleared, work normally.
    BlackHole,
    /// Hold replies back, in order, while this is in force; forward everything held once it is cleared (a frozen
    /// server or VM that wakes up). No reset.
    Stall,
    /// Swallow the next chunk of reply bytes (on whichever connection has one first; one or more replies, or part
    /// of one), then forward again as if nothing happened: the stream has a hole and is not reset. The fault
    /// clears itself ([`Relay::fault`] is [`Fault::None`] again) once it has acted.
    DropOneReply,
    /// Forward the next chunk of reply bytes twice (on whichever connection has one first), then clear itself: a
    /// reply repeated by a middlebox. No reset.
    DuplicateOneReply,
}

/// The bytes [`Fault::Garbage`] sends: a whole line that is no reply of any kind.
pub const GARBAGE: &[u8] = b"\x7fgarbage \x00\xff\r\n";

/// A relay on a free `127.0.0.1` port forwarding to one upstream server. Its runtime and every connection stop
/// when it is dropped.
pub struct Relay {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

struct Shared {
    upstream: SocketAddr,
    // A watch, so a connection holding stalled replies learns at once that the stall is over.
    fault: watch::Sender<Fault>,
    accepted: AtomicUsize,
    /// How many times a one-shot fault ([`Fault::DropOneReply`], [`Fault::DuplicateOneReply`]) has acted.
    one_shots: AtomicUsize,
}

impl Shared {
    fn fault(&self) -> Fault {
        *self.fault.borrow()
    }

    /// Takes a one-shot fault: true for exactly one caller per time it was set.
    fn take_one_shot(&self, fault: Fault) -> bool {
        let taken = self.fault.send_if_modified(|current| {
            let hit = *current == fault;
            if hit {
                *current = Fault::None;
            }
            hit
        });
        if taken {
            self.one_shots.fetch_add(1, Ordering::SeqCst);
        }
        taken
    }
}

impl Relay {
    /// Starts a relay in front of `upstream` (`127.0.0.1:PORT`), with no fault.
    ///
    /// # Panics
    /// If `upstream` is not a loopback socket address, or no loopback port can be bound.
    pub fn start(upstream: &str) -> Self {
        let upstream: SocketAddr = upstream.parse().expect("upstream must be IP:PORT");
        assert!(upstream.ip().is_loopback(), "the relay only forwards to loopback, not {upstream}");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let addr = listener.local_addr().expect("local addr");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("memkit-relay")
            .enable_all()
            .build()
            .expect("relay runtime");
        let shared = Arc::new(Shared {
            upstream,
            fault: watch::Sender::new(Fault::None),
            accepted: AtomicUsize::new(0),
            one_shots: AtomicUsize::new(0),
        });
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(listener).expect("tokio listener")
        };
        runtime.spawn(accept(listener, shared.clone()));
        Self { addr, shared, runtime: Some(runtime) }
    }

    /// `127.0.0.1:PORT`, the address clients connect to.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Switches the fault for every reply from now on, on open connections and new ones.
    pub fn set_fault(&self, fault: Fault) {
        self.shared.fault.send_replace(fault);
    }

    /// The fault in force.
    pub fn fault(&self) -> Fault {
        self.shared.fault()
    }

    /// How many client connections the relay has accepted so far (a reconnect shows as one more).
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many times a one-shot fault ([`Fault::DropOneReply`], [`Fault::DuplicateOneReply`]) has acted, so a
    /// test can wait until the one it set has (it acts on the next reply bytes that pass).
    pub fn one_shots(&self) -> usize {
        self.shared.one_shots.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // Not a blocking shutdown: a relay is usually dropped inside an async test.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else { continue };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(relay(client, shared.clone()));
    }
}

/// How a relayed connection ends.
enum End {
    /// Either side closed, or a socket failed: close normally.
    Close,
    /// Close with an RST.
    Reset,
}

async fn relay(mut client: TcpStream, shared: Arc<Shared>) {
    let Ok(mut server) = TcpStream::connect(shared.upstream).await else { return };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let end = pump(&mut client, &mut server, &shared).await;
    if let End::Reset = end {
        let _ = client.set_zero_linger();
    } else {
        let _ = client.shutdown().await;
    }
    drop(client);
}

async fn pump(client: &mut TcpStream, server: &mut TcpStream, shared: &Shared) -> End {
    let (mut client_r, mut client_w) = client.split();
    let (mut server_r, mut server_w) = server.split();
    let mut requests = vec![0u8; 64 * 1024];
    let mut replies = vec![0u8; 64 * 1024];
    let mut faults = shared.fault.subscribe();
    // Set once reply bytes were swallowed by `DropReplies`: the stream has a hole and must not resume.
    let mut lost_bytes = false;
    // Set once the connection fell into a black hole: nothing passes, for good.
    let mut black_holed = false;
    // Replies held back by `Stall`, forwarded in order once it is cleared.
    let mut stalled: Vec<u8> = Vec::new();
    loop {
        tokio::select! {
            read = client_r.read(&mut requests) => match read {
                Ok(0) | Err(_) => return End::Close,
                Ok(n) => {
                    black_holed |= shared.fault() == Fault::BlackHole;
                    if !black_holed && server_w.write_all(&requests[..n]).await.is_err() {
                        return End::Close;
                    }
                }
            },
            read = server_r.read(&mut replies) => {
                let n = match read {
                    Ok(0) | Err(_) => return End::Close,
                    Ok(n) => n,
                };
                let chunk = &replies[..n];
                let fault = shared.fault();
                black_holed |= fault == Fault::BlackHole;
                if black_holed {
                    continue;
                }
                if lost_bytes && fault != Fault::DropReplies {
                    return End::Reset;
                }
                if fault == Fault::Stall {
                    stalled.extend_from_slice(chunk);
                    continue;
                }
                if !stalled.is_empty() {
                    if client_w.write_all(&stalled).await.is_err() {
                        return End::Close;
                    }
                    stalled.clear();
                }
                let forwarded = match fault {
                    Fault::None | Fault::BlackHole | Fault::Stall => client_w.write_all(chunk).await,
                    Fault::Delay(delay) => {
                        tokio::time::sleep(delay).await;
                        client_w.write_all(chunk).await
                    }
                    Fault::DropReplies => {
                        lost_bytes = true;
                        Ok(())
                    }
                    Fault::TruncateReply => {
                        let _ = client_w.write_all(&chunk[..n / 2]).await;
                        return End::Close;
                    }
                    Fault::Reset => return End::Reset,
                    Fault::Garbage => client_w.write_all(GARBAGE).await,
                    Fault::Inject(extra) => match client_w.write_all(extra).await {
                        Ok(()) => client_w.write_all(chunk).await,
                        Err(e) => Err(e),
                    },
                    Fault::DropOneReply if shared.take_one_shot(fault) => Ok(()),
                    Fault::DuplicateOneReply if shared.take_one_shot(fault) => match client_w.write_all(chunk).await {
                        Ok(()) => client_w.write_all(chunk).await,
                        Err(e) => Err(e),
                    },
                    // Another connection took the one-shot first.
                    Fault::DropOneReply | Fault::DuplicateOneReply => client_w.write_all(chunk).await,
                };
                if forwarded.is_err() {
                    return End::Close;
                }
            }
            changed = faults.changed(), if !stalled.is_empty() => {
                if changed.is_err() {
                    return End::Close;
                }
                let fault = *faults.borrow_and_update();
                if fault != Fault::Stall {
                    if client_w.write_all(&stalled).await.is_err() {
                        return End::Close;
                    }
                    stalled.clear();
                }
            }
        }
    }
}
