//! The public [`Client`]: validation, routing (topology -> server -> connection), health bookkeeping and the
//! request round trip.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;

use crate::Error;
use crate::config::{Config, FailurePolicy, ServerAddr};
use crate::connection::{Fence, Outgoing, Tags};
use crate::proto::{ErrorReply, ReplyKind, Response};
use crate::server::Server;
use crate::topology::Topology;

/// A memcached client over one or more servers.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`: share one per process. Each server gets a small number of
/// connections ([`Config::connections_per_server`], default one), each carrying many concurrent requests;
/// connections open on first use, reopen after a failure, and back off exponentially (with jitter) while
/// connecting keeps failing.
///
/// Keys are spread over the servers by [`Config::distribution`]: by default ketama exactly as libmemcached and
/// twemproxy place them, so this client can share a pool with them. Multi-key reads split the keys by server and
/// query the servers concurrently. A server that fails [`Config::failure_limit`] times in a row is marked down for
/// [`Config::retry_interval`], and [`Config::failure_policy`] decides what happens to its keys meanwhile. The
/// server list can be changed at run time with [`Client::set_servers`].
///
/// Dropping the last clone shuts every socket down and closes it.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Arc<Config>,
    // Read on every request: an uncontended read lock and one `Arc` clone of the chosen server.
    topology: RwLock<Arc<Topology>>,
    /// The next opaque token for a meta request; wrapping is fine, a connection never has 2^32 tokens pending.
    next_tag: AtomicU32,
}

impl Client {
    /// A client for `servers`, a comma-separated `HOST:PORT[:WEIGHT]` list, with the default [`Config`].
    ///
    /// Nothing connects yet: each connection opens on the first request that needs it.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] if the list does not parse.
    pub fn new(servers: &str) -> Result<Self, Error> {
        Self::with_config(ServerAddr::parse_list(servers)?, Config::default())
    }

    /// A client for `servers` with `config`.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] if `servers` is empty.
    pub fn with_config(servers: Vec<ServerAddr>, config: Config) -> Result<Self, Error> {
        if servers.is_empty() {
            return Err(Error::InvalidAddress { input: String::new(), reason: "no servers given" });
        }
        let topology = Topology::new(servers, config.distribution, None);
        let topology = RwLock::new(Arc::new(topology));
        Ok(Self { inner: Arc::new(Inner { config: Arc::new(config), topology, next_tag: AtomicU32::new(0) }) })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The servers, in the order given (with their weights).
    pub fn servers(&self) -> Vec<ServerAddr> {
        self.topology().addrs.clone()
    }

    /// Replaces the server list. The ring is rebuilt, so only the keys it says must move do move (with ketama,
    /// about `1/(N+1)` of them when one server joins N). Servers that stay keep their open connections and their
    /// health; connections to removed servers close once their requests in flight are answered.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] if `servers` is empty; the old list stays in use.
    pub fn set_servers(&self, servers: Vec<ServerAddr>) -> Result<(), Error> {
        if servers.is_empty() {
            return Err(Error::InvalidAddress { input: String::new(), reason: "no servers given" });
        }
        let mut guard = self.inner.topology.write().unwrap_or_else(PoisonError::into_inner);
        let mut topology = Topology::new(servers, self.inner.config.distribution, Some(&guard));
        if self.inner.config.failure_policy == FailurePolicy::Eject
            && let Some(ejected) = topology.with_ejections(tokio::time::Instant::now())
        {
            topology = ejected;
        }
        *guard = Arc::new(topology);
        Ok(())
    }

    /// The current topology. Under `Eject`, first puts back servers whose retry interval has passed.
    pub(crate) fn topology(&self) -> Arc<Topology> {
        let topology = self.inner.topology.read().unwrap_or_else(PoisonError::into_inner).clone();
        match topology.next_rebuild {
            Some(at) if tokio::time::Instant::now() >= at => {
                self.refresh_ejections();
                self.inner.topology.read().unwrap_or_else(PoisonError::into_inner).clone()
            }
            _ => topology,
        }
    }

    /// The server that owns `wire_key` (a key as it goes on the wire: base64 for a binary key).
    pub(crate) fn route(&self, wire_key: &[u8]) -> Arc<Server> {
        {
            let topology = self.inner.topology.read().unwrap_or_else(PoisonError::into_inner);
            if topology.next_rebuild.is_none() {
                return topology.servers[topology.route(wire_key)].clone();
            }
        }
        let topology = self.topology();
        topology.servers[topology.route(wire_key)].clone()
    }

    /// The server that owns `key` (as it goes on the wire: a text key as is), as the ring places it now: under
    /// [`FailurePolicy::Eject`] an ejected server's keys show their interim owner.
    pub fn server_for(&self, key: &[u8]) -> ServerAddr {
        self.route(key).addr.clone()
    }

    /// Rebuilds the map after a server was marked down or came due (under `Eject`).
    fn refresh_ejections(&self) {
        let mut guard = self.inner.topology.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(topology) = guard.with_ejections(tokio::time::Instant::now()) {
            tracing::info!(servers = topology.servers.len(), "memcached ring rebuilt around ejected servers");
            *guard = Arc::new(topology);
        }
    }

    /// Records a server failure; under `Eject`, takes the server off the ring when this marks it down.
    fn note_failure(&self, server: &Server) {
        let config = &self.inner.config;
        if server.health.failed(config.failure_limit, config.retry_interval) {
            tracing::warn!(server = %server.name, retry_in = ?config.retry_interval, "memcached server marked down");
            // Whatever broke the connections (a silent socket, a shifted stream) must not greet the first request
            // after the retry interval: that one connects afresh.
            server.drop_connections();
            if config.failure_policy == FailurePolicy::Eject {
                let routed = {
                    let topology = self.inner.topology.read().unwrap_or_else(PoisonError::into_inner);
                    topology
                        .servers
                        .iter()
                        .position(|s| std::ptr::eq(&**s, server))
                        .is_some_and(|i| topology.is_routed(i))
                };
                if routed {
                    self.refresh_ejections();
                }
            }
        }
    }

    /// Reserves `count` consecutive opaque tokens and returns the first.
    pub(crate) fn next_tags(&self, count: u32) -> u32 {
        self.inner.next_tag.fetch_add(count, Ordering::Relaxed)
    }

    /// Sends pre-encoded bytes whose whole reply is one `kind`, and waits for it. `tags` are the opaque tokens the
    /// bytes carry, if any ([`Request::encode_tagged`]): the connection checks that the reply echoes them. `fence`
    /// is the request the bytes end with, if any, whose reply the connection reads and checks after `kind`'s.
    pub(crate) async fn call_raw(
        &self,
        server: &Server,
        bytes: Bytes,
        kind: ReplyKind,
        tags: Option<Tags>,
        fence: Option<Fence>,
        command: &'static str,
    ) -> Result<Response, Error> {
        let deadline = tokio::time::Instant::now() + self.inner.config.request_timeout;
        let request = Outgoing { bytes, kind, tags, fence, deadline };
        let response = match server.round_trip(&self.inner.config, request).await {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(server = %server.name, command, %error, "memcached request failed");
                if error.is_server_failure() {
                    self.note_failure(server);
                }
                return Err(error);
            }
        };
        server.health.succeeded();
        match response {
            Response::Error(error) => Err(error_reply(error, &server.name)),
            other => Ok(other),
        }
    }

    pub(crate) fn unexpected(&self, server: &Server, command: &'static str, reply: &Response) -> Error {
        let mut text = format!("{reply:?}");
        text.truncate(120);
        Error::UnexpectedReply { server: server.name.clone(), command, reply: text }
    }
}

pub(crate) fn error_reply(error: ErrorReply, server: &str) -> Error {
    let server = server.to_owned();
    match error {
        ErrorReply::Error => Error::UnknownCommand { server },
        ErrorReply::Client(message) => Error::ClientError { server, message },
        ErrorReply::Server(message) => Error::ServerError { server, message },
    }
}
