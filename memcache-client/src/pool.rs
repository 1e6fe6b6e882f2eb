//! Per-server state — its connections and its health — and the topology that maps keys to servers.
//!
//! Health is two atomics per server, read on every request without a lock: the count of consecutive failures and
//! the instant until which the server is marked down. After [`Config::failure_limit`] failures in a row the server
//! is marked down for [`Config::retry_interval`]; when that has passed, requests try it again ("half-open"): one
//! success clears it, one more failure marks it down again at once. Marking a server down also closes its
//! connections ([`Server::drop_connections`]): whatever failed them (a black-holed socket, a stream that lost its
//! alignment) must not be what the first request after the retry interval meets.
//!
//! The [`Topology`] is immutable and swapped whole (behind an `RwLock<Arc<_>>` in the client) when the server list
//! changes or, under [`FailurePolicy::Eject`], when a server is ejected or due back.
//!
//! [`FailurePolicy::Eject`]: crate::FailurePolicy::Eject

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::{Config, Distribution, ServerAddr};
use crate::conn::Connection;
use crate::ring::Ring;

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

    /// One of the server's connections, round robin.
    pub(crate) fn connection(&self, config: &Arc<Config>) -> &Connection {
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
    fn is_down_at(&self, now: Instant) -> bool {
        let until = self.down_until.load(Ordering::Relaxed);
        until != 0 && self.nanos(now) < until
    }

    /// When the marked-down period ends, if one was set.
    fn down_until(&self) -> Option<Instant> {
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

/// The servers and the map from keys to them. Immutable: a change builds a new one.
#[derive(Debug)]
pub(crate) struct Topology {
    /// The servers, in the order given.
    pub(crate) servers: Vec<Arc<Server>>,
    /// The addresses as given (with their weights), parallel to `servers`.
    pub(crate) addrs: Vec<ServerAddr>,
    distribution: Distribution,
    /// The map over every server.
    ring: Ring,
    /// Under `Eject` while some servers are ejected: the map over the others, and their indices in `servers`.
    live: Option<(Ring, Vec<usize>)>,
    /// Under `Eject`: when the first ejected server is due back in the ring.
    pub(crate) next_rebuild: Option<Instant>,
}

impl Topology {
    /// A topology over `addrs`, reusing the servers (and their open connections) of `old` whose endpoint stays.
    pub(crate) fn new(addrs: Vec<ServerAddr>, distribution: Distribution, old: Option<&Topology>) -> Self {
        let servers = addrs
            .iter()
            .map(|addr| {
                old.and_then(|old| old.servers.iter().find(|s| s.addr.endpoint() == addr.endpoint()))
                    .cloned()
                    .unwrap_or_else(|| Arc::new(Server::new(addr.clone())))
            })
            .collect();
        let ring = Ring::new(&addrs, distribution);
        Self { servers, addrs, distribution, ring, live: None, next_rebuild: None }
    }

    /// The index of the server that owns `key` (its wire form).
    pub(crate) fn route(&self, key: &[u8]) -> usize {
        if self.servers.len() == 1 {
            return 0;
        }
        match &self.live {
            Some((ring, indices)) => indices[ring.server_for(key)],
            None => self.ring.server_for(key),
        }
    }

    /// Whether server `index` is on the map keys are routed by.
    pub(crate) fn is_routed(&self, index: usize) -> bool {
        match &self.live {
            Some((_, indices)) => indices.contains(&index),
            None => true,
        }
    }

    /// The same servers with the ejected ones (marked down at `now`) left off the map; `None` when that is the map
    /// this topology already has.
    pub(crate) fn with_ejections(&self, now: Instant) -> Option<Topology> {
        let live: Vec<usize> = (0..self.servers.len()).filter(|&i| !self.servers[i].health.is_down_at(now)).collect();
        let next_rebuild =
            self.servers.iter().filter(|s| s.health.is_down_at(now)).filter_map(|s| s.health.down_until()).min();
        // With every server down there is nothing to redistribute to: keep the full map (requests get ServerDown).
        let live = if live.len() == self.servers.len() || live.is_empty() { None } else { Some(live) };
        let unchanged = match (&live, &self.live) {
            (None, None) => true,
            (Some(new), Some((_, old))) => new == old,
            _ => false,
        };
        if unchanged && next_rebuild == self.next_rebuild {
            return None;
        }
        let live = live.map(|indices| {
            let addrs: Vec<ServerAddr> = indices.iter().map(|&i| self.addrs[i].clone()).collect();
            (Ring::new(&addrs, self.distribution), indices)
        });
        Some(Topology {
            servers: self.servers.clone(),
            addrs: self.addrs.clone(),
            distribution: self.distribution,
            ring: self.ring.clone(),
            live,
            next_rebuild,
        })
    }
}

/// FNV-1a, to seed each connection's jitter from its server's address: deterministic, no global RNG.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Exponential backoff with jitter between connect attempts of one connection.
#[derive(Debug)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
    rng: u64,
}

impl Backoff {
    pub(crate) fn new(config: &Config, seed: u64) -> Self {
        let initial = config.reconnect_backoff;
        Self { initial, max: config.reconnect_backoff_max.max(initial), current: initial, rng: seed | 1 }
    }

    /// The wait before the next attempt: the current step plus up to a quarter of it as jitter; the step doubles.
    pub(crate) fn next_delay(&mut self) -> Duration {
        // xorshift64: deterministic per connection, and enough to keep many clients from reconnecting in step.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let base = self.current;
        let jitter_range = u64::try_from(base.as_nanos() / 4).unwrap_or(u64::MAX);
        let jitter = if jitter_range == 0 { 0 } else { self.rng % jitter_range };
        self.current = (self.current * 2).min(self.max);
        base + Duration::from_nanos(jitter)
    }

    /// A connect succeeded: the next failure starts from the first step again.
    pub(crate) fn reset(&mut self) {
        self.current = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_bounded_jitter() {
        let config = Config {
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_millis(400),
            ..Config::default()
        };
        let mut backoff = Backoff::new(&config, fnv1a(b"127.0.0.1:11211"));
        let steps = [50, 100, 200, 400, 400];
        for step in steps {
            let d = backoff.next_delay();
            let base = Duration::from_millis(step);
            assert!(d >= base && d <= base + base / 4, "delay {d:?} for step {base:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() < Duration::from_millis(63));
    }

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
