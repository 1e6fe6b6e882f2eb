//! The topology: the servers and the map from keys to them.
//!
//! The [`Topology`] is immutable and swapped whole (behind an `RwLock<Arc<_>>` in the client) when the server list
//! changes or, under [`FailurePolicy::Eject`], when a server is ejected or due back.
//!
//! [`FailurePolicy::Eject`]: crate::FailurePolicy::Eject

use std::sync::Arc;

use tokio::time::Instant;

use crate::config::{Distribution, ServerAddr};
use crate::ring::Ring;
use crate::server::Server;

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
