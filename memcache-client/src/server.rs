//! One server: where it is, its connections and its health.
//!
//! Health is two atomics per server, read on every request without a lock: the count of consecutive failures and
//! the instant until which the server is marked down. After [`Config::failure_limit`] failures in a row the server
//! is marked down for [`Config::retry_interval`]; when that has passed, requests try it again ("half-open"): one
//! success clears it, one more failure marks it down again at once. Marking a server down also closes its
//! connections ([`Server::drop_connections`]): whatever failed them (a black-holed socket, a stream that lost its
//! alignment) must not be what the first request after the retry interval meets.
//!
//! Layering: the client routes through the topology to a [`Server`], which hands the
//! request to one of its [`Connection`]s; nothing here knows about routing or commands.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::Error;
use crate::config::{Config, ServerAddr};
use crate::connection::{Connection, Outgoing};
use crate::proto::Response;

/// One server: where it is, its connections (opened on first use) and its health.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) addr: ServerAddr,
    pub(crate) name: String,
    // Spawned on first use, so a client can be built outside a runtime.
    conns: OnceLock<Vec<Connection>>,
    next: AtomicUsize,
    pub(crate) health: Health,
    /// Bumped to make every connection task close its socket (see [`Server::drop_connections`]).
    marked_down: watch::Sender<u64>,
}

impl Server {
    pub(crate) fn new(addr: ServerAddr) -> Self {
        Self {
            name: addr.to_string(),
            addr,
            conns: OnceLock::new(),
            next: AtomicUsize::new(0),
            health: Health::new(),
            marked_down: watch::Sender::new(0),
        }
    }

    /// Closes every open connection to the server (their pending callers get
    /// [`Error::ConnectionReset`](crate::Error::ConnectionReset)); each reconnects on its next request.
    pub(crate) fn drop_connections(&self) {
        self.marked_down.send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    /// Sends `command` on one of the server's connections and waits for its reply, until `command.deadline`.
    ///
    /// # Errors
    /// [`Error::ServerDown`] while the server is marked down (nothing is sent); [`Error::Timeout`] at the deadline;
    /// whatever the connection failed with. Error replies (`ERROR`, `CLIENT_ERROR`, ...) are `Ok`: they are answers.
    pub(crate) async fn round_trip(&self, config: &Arc<Config>, command: Outgoing) -> Result<Response, Error> {
        if let Err(retry_in) = self.health.check() {
            return Err(Error::ServerDown { server: self.name.clone(), retry_in });
        }
        let deadline = command.deadline;
        let conn = self.connection(config);
        let (tx, rx) = oneshot::channel();
        let lost = || Error::ConnectionReset { server: self.name.clone(), cause: "connection task ended".into() };
        // No timer here: the connection answers every request it has taken by its deadline (one timer per
        // connection, see `connection::serve`). Only a caller that finds the queue full arms one, for the wait.
        match conn.try_send(command.with_reply(tx)) {
            Ok(()) => {}
            Err(TrySendError::Closed(_)) => return Err(lost()),
            Err(TrySendError::Full(command)) => match tokio::time::timeout_at(deadline, conn.send(command)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(lost()),
                Err(_) => return Err(Error::Timeout { server: self.name.clone(), timeout: config.request_timeout }),
            },
        }
        rx.await.map_err(|_| lost())?
    }

    /// One of the server's connections, round robin.
    fn connection(&self, config: &Arc<Config>) -> &Connection {
        let conns = self.conns.get_or_init(|| {
            let seed = fnv1a(self.name.as_bytes());
            (0..config.connections_per_server.max(1))
                .map(|i| {
                    Connection::spawn(self.addr.clone(), config.clone(), seed ^ i as u64, self.marked_down.subscribe())
                })
                .collect()
        });
        if conns.len() == 1 {
            return &conns[0];
        }
        &conns[self.next.fetch_add(1, Ordering::Relaxed) % conns.len()]
    }
}

/// Consecutive failures and the marked-down deadline of one server.
#[derive(Debug)]
pub(crate) struct Health {
    failures: AtomicU32,
    /// Nanoseconds after `epoch` until which the server is down; 0 while it is up.
    down_until: AtomicU64,
    epoch: Instant,
}

impl Health {
    fn new() -> Self {
        Self { failures: AtomicU32::new(0), down_until: AtomicU64::new(0), epoch: Instant::now() }
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// `Err(retry_in)` while the server is marked down. One atomic load while it is up.
    pub(crate) fn check(&self) -> Result<(), Duration> {
        let until = self.down_until.load(Ordering::Relaxed);
        if until == 0 {
            return Ok(());
        }
        let now = self.nanos(Instant::now());
        if now < until { Err(Duration::from_nanos(until - now)) } else { Ok(()) }
    }

    /// Whether the server is marked down at `now`.
    pub(crate) fn is_down_at(&self, now: Instant) -> bool {
        let until = self.down_until.load(Ordering::Relaxed);
        until != 0 && self.nanos(now) < until
    }

    /// When the marked-down period ends, if one was set.
    pub(crate) fn down_until(&self) -> Option<Instant> {
        match self.down_until.load(Ordering::Relaxed) {
            0 => None,
            until => Some(self.epoch + Duration::from_nanos(until)),
        }
    }

    /// A request got an answer: the failure count starts over. One atomic load when there were no failures.
    pub(crate) fn succeeded(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
            self.down_until.store(0, Ordering::Relaxed);
        }
    }

    /// A request failed for a server reason. Returns true when this marks the server down (again).
    pub(crate) fn failed(&self, limit: u32, retry: Duration) -> bool {
        let count = self.failures.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        if limit == 0 || count < limit {
            return false;
        }
        let until = self.nanos(Instant::now() + retry).max(1);
        self.down_until.store(until, Ordering::Relaxed);
        true
    }
}

/// FNV-1a, to seed each connection's jitter from its server's address: deterministic, no global RNG.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_marks_down_after_the_limit_and_clears_on_success() {
        let health = Health::new();
        let retry = Duration::from_secs(60);
        assert!(!health.failed(3, retry));
        assert!(!health.failed(3, retry));
        assert_eq!(health.check(), Ok(()));
        assert!(health.failed(3, retry), "the third failure marks it down");
        let retry_in = health.check().expect_err("down");
        assert!(retry_in <= retry && retry_in > Duration::from_secs(59));
        health.succeeded();
        assert_eq!(health.check(), Ok(()));
        assert!(!health.failed(3, retry), "the count started over");
    }

    #[test]
    fn a_zero_limit_never_marks_down() {
        let health = Health::new();
        for _ in 0..100 {
            assert!(!health.failed(0, Duration::from_secs(1)));
        }
        assert_eq!(health.check(), Ok(()));
    }
}
