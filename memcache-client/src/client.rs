//! The public [`Client`]: validation, routing (ring -> server -> connection) and the request round trip.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use crate::Error;
use crate::config::{Config, ServerAddr};
use crate::conn::{Command, Connection};
use crate::proto::{ErrorReply, ReplyKind, Request, Response};
use crate::ring::Ring;

/// A memcached client over one or more servers.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`: share one per process. Each server gets a small number of
/// connections (default one), each carrying many concurrent requests; connections open on first use and reopen
/// after a failure. Keys are spread over servers by ketama, as libmemcached and twemproxy do.
///
/// Dropping the last clone shuts every socket down and closes it.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Arc<Config>,
    pub(crate) servers: Vec<Server>,
    ring: Ring,
}

#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) addr: ServerAddr,
    pub(crate) name: String,
    // Spawned on first use, so a client can be built outside a runtime.
    conns: OnceLock<Vec<Connection>>,
    next: AtomicUsize,
}

impl Server {
    fn connection(&self, config: &Arc<Config>) -> &Connection {
        let conns = self.conns.get_or_init(|| {
            (0..config.connections_per_server.max(1))
                .map(|_| Connection::spawn(self.addr.clone(), config.clone()))
                .collect()
        });
        if conns.len() == 1 {
            return &conns[0];
        }
        &conns[self.next.fetch_add(1, Ordering::Relaxed) % conns.len()]
    }
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
        let ring = Ring::new(&servers);
        let servers = servers
            .into_iter()
            .map(|addr| Server { name: addr.to_string(), addr, conns: OnceLock::new(), next: AtomicUsize::new(0) })
            .collect();
        Ok(Self { inner: Arc::new(Inner { config: Arc::new(config), servers, ring }) })
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The servers, in the order given.
    pub fn servers(&self) -> impl ExactSizeIterator<Item = &ServerAddr> {
        self.inner.servers.iter().map(|s| &s.addr)
    }

    /// The server that `key` maps to (as it goes on the wire: base64 for a binary key).
    pub(crate) fn route(&self, wire_key: &[u8]) -> usize {
        if self.inner.servers.len() == 1 { 0 } else { self.inner.ring.server_for(wire_key) }
    }

    /// The server that owns `key`, as the ring places it.
    pub fn server_for(&self, key: &[u8]) -> &ServerAddr {
        &self.inner.servers[self.route(key)].addr
    }

    /// Encodes one request and waits for its reply, turning error replies into errors.
    pub(crate) async fn call(
        &self,
        server: usize,
        request: &Request<'_>,
        command: &'static str,
    ) -> Result<Response, Error> {
        let mut buf = BytesMut::with_capacity(request.size_hint());
        request.encode(&mut buf);
        let kind = request.reply_kind().ok_or(Error::InvalidArgument("noreply requests are not sent through call"))?;
        self.call_raw(server, buf.freeze(), kind, command).await
    }

    /// Sends pre-encoded bytes whose whole reply is one `kind`, and waits for it.
    pub(crate) async fn call_raw(
        &self,
        server: usize,
        bytes: Bytes,
        kind: ReplyKind,
        command: &'static str,
    ) -> Result<Response, Error> {
        let inner = &self.inner;
        let server = &inner.servers[server];
        let conn = server.connection(&inner.config);
        let (tx, rx) = oneshot::channel();
        let round_trip = async {
            let lost = || Error::ConnectionReset { server: server.name.clone(), cause: "connection task ended".into() };
            conn.send(Command { bytes, kind, reply: tx }).await.map_err(|_| lost())?;
            rx.await.map_err(|_| lost())?
        };
        let response = match tokio::time::timeout(inner.config.request_timeout, round_trip).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => {
                tracing::debug!(server = %server.name, command, %error, "memcached request failed");
                return Err(error);
            }
            Err(_) => {
                tracing::debug!(server = %server.name, command, "memcached request timed out");
                return Err(Error::Timeout { server: server.name.clone(), timeout: inner.config.request_timeout });
            }
        };
        match response {
            Response::Error(error) => Err(error_reply(error, &server.name)),
            other => Ok(other),
        }
    }

    pub(crate) fn server_name(&self, server: usize) -> &str {
        &self.inner.servers[server].name
    }

    pub(crate) fn unexpected(&self, server: usize, command: &'static str, reply: &Response) -> Error {
        let mut text = format!("{reply:?}");
        text.truncate(120);
        Error::UnexpectedReply { server: self.server_name(server).to_owned(), command, reply: text }
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
