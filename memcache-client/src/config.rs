//! Client configuration and server addresses.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[cfg(feature = "tls")]
use crate::TlsConfig;
use crate::{Credentials, Error};

/// Which protocol the client speaks for item commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// The meta protocol (`mg`, `ms`, ...), memcached 1.6 and later. Faster: servers batch meta replies.
    #[default]
    Meta,
    /// The classic text protocol (`get`, `set`, ...), for servers older than 1.6. Binary keys are unavailable.
    Text,
}

/// How keys are spread over servers. See the crate's ring module docs for the exact algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Distribution {
    /// Weighted ketama with MD5, exactly as libmemcached (weighted ketama) and twemproxy (`distribution: ketama`,
    /// `hash: md5`) place keys, so this client can share a pool with them. Adding a server moves only its share
    /// of the keys.
    #[default]
    Ketama,
    /// Rendezvous (highest random weight) hashing as pymemcache's `HashClient` does it by default: murmur3 of
    /// `host:port-key`. Weights are ignored.
    Rendezvous,
    /// `hash % servers` as libmemcached's modula distribution with its default one-at-a-time hash. Weights are
    /// ignored, and a change of the server list moves almost every key.
    Modula,
}

/// What the client does with the keys of a server that is marked down (after [`Config::failure_limit`]
/// consecutive failures, for [`Config::retry_interval`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailurePolicy {
    /// Requests for its keys fail at once with [`Error::ServerDown`] until the retry interval has passed; the
    /// ring does not change, so no key moves and nothing is read from a server that does not own it.
    #[default]
    FailFast,
    /// Eject it from the ring, as twemproxy's `auto_eject_hosts: true` does: its keys are redistributed over the
    /// live servers (the ring is rebuilt over them, with their weights) until the retry interval has passed; then
    /// it is put back and tried again, and ejected again at once if that try fails. Reads of moved keys miss
    /// until they are written again, and writes made meanwhile are stranded on the new owner when the server
    /// comes back.
    Eject,
}

/// The largest value a default memcached (`-I 1m`) stores with a short key: the 1 MiB item less the item header,
/// key and CAS that share the slab chunk. A value over this is refused before it is sent.
pub const DEFAULT_MAX_VALUE_SIZE: usize = 1024 * 1024 - 512;

/// Client settings. Start from [`Config::default`] and change what you need.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// How long a connection attempt may take. Default 1 s.
    pub connect_timeout: Duration,
    /// How long a request may wait for its reply, queueing included. Default 1 s. The connection answers a request
    /// still waiting at its deadline with [`Error::Timeout`](crate::Error::Timeout) (one timer per connection, none
    /// per request). A request still queued behind [`Config::max_in_flight`] others, or behind a reconnect (at most
    /// [`Config::connect_timeout`]), is answered when the connection reaches it.
    pub request_timeout: Duration,
    /// The largest value sent; larger ones fail with [`Error::ValueTooLarge`]. Default
    /// [`DEFAULT_MAX_VALUE_SIZE`]; raise it for a server started with a larger `-I`.
    pub max_value_size: usize,
    /// Connections per server, each carrying many pipelined requests. Default 1: on a busy server one well-fed
    /// connection beats several half-empty ones.
    pub connections_per_server: usize,
    /// Requests in flight (written, reply not yet read) per connection before new ones wait. Default 1024.
    pub max_in_flight: usize,
    /// Requests queued per connection, waiting to be written. Default 4096.
    pub queue_depth: usize,
    /// The protocol for item commands. Default [`Protocol::Meta`].
    pub protocol: Protocol,
    /// How keys map to servers. Default [`Distribution::Ketama`].
    pub distribution: Distribution,
    /// What to do with a server marked down. Default [`FailurePolicy::FailFast`].
    pub failure_policy: FailurePolicy,
    /// Consecutive failed requests (connect failures, timeouts, broken connections — not error replies) after
    /// which a server is marked down. Default 5, as libmemcached's `SERVER_FAILURE_LIMIT`. 0 never marks a server
    /// down.
    pub failure_limit: u32,
    /// How long a server stays marked down before requests try it again. Default 2 s, as libmemcached's
    /// `RETRY_TIMEOUT`.
    pub retry_interval: Duration,
    /// The wait before the second connect attempt after a failed one; each further failure doubles it (up to
    /// [`Config::reconnect_backoff_max`]), with up to a quarter of it added as jitter. Requests that come during
    /// the wait fail at once with the last connect error. Default 50 ms.
    pub reconnect_backoff: Duration,
    /// The longest wait between connect attempts. Default 2 s.
    pub reconnect_backoff_max: Duration,
    /// Speak TLS to every TCP server (memcached started with `-Z`). Default `None`: plain TCP. The handshake counts
    /// towards [`Config::connect_timeout`]; a refused one fails with [`Error::Tls`]. Feature `tls` (on by default).
    #[cfg(feature = "tls")]
    pub tls: Option<TlsConfig>,
    /// Authenticate every new connection with memcached's ASCII auth (servers started with `-Y authfile`) before
    /// it carries any request; over TLS when [`Config::tls`] is set. Default `None`. The exchange counts towards
    /// [`Config::connect_timeout`]; refused credentials fail with [`Error::AuthFailed`].
    pub auth: Option<Credentials>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            max_value_size: DEFAULT_MAX_VALUE_SIZE,
            connections_per_server: 1,
            max_in_flight: 1024,
            queue_depth: 4096,
            protocol: Protocol::Meta,
            distribution: Distribution::Ketama,
            failure_policy: FailurePolicy::FailFast,
            failure_limit: 5,
            retry_interval: Duration::from_secs(2),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_secs(2),
            #[cfg(feature = "tls")]
            tls: None,
            auth: None,
        }
    }
}

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A TCP host (name or IP) and port.
    Tcp {
        /// Host name or IP address (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
    /// A Unix-domain socket path.
    Unix(PathBuf),
}

/// One server of a pool: where it listens and its weight on the hash ring.
///
/// Parsed from `HOST:PORT[:WEIGHT]` (twemproxy's form; IPv6 hosts in brackets, `[::1]:11211`) or
/// `unix:/path/to/socket[:WEIGHT]`.
///
/// On the ketama ring a server is hashed by `HOST:PORT`, or by `HOST` alone when the port is 11211, exactly as
/// libmemcached and twemproxy do for an unnamed server. twemproxy also accepts a name after the weight
/// (`HOST:PORT:WEIGHT NAME`) and then hashes the name instead; such entries are refused here, so a pool that
/// names its servers cannot silently be placed differently.
///
/// ```
/// use memcache_client::ServerAddr;
/// let addr: ServerAddr = "127.0.0.1:11211:2".parse()?;
/// assert_eq!(addr.weight(), 2);
/// assert_eq!(addr.to_string(), "127.0.0.1:11211");
/// # Ok::<(), memcache_client::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerAddr {
    endpoint: Endpoint,
    weight: u32,
}

impl ServerAddr {
    /// A TCP server with weight 1.
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Self { endpoint: Endpoint::Tcp { host: host.into(), port }, weight: 1 }
    }

    /// A Unix-socket server with weight 1.
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Self { endpoint: Endpoint::Unix(path.into()), weight: 1 }
    }

    /// The same server with another weight.
    pub fn with_weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Where it listens.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Its weight (default 1).
    pub fn weight(&self) -> u32 {
        self.weight
    }

    /// Parses a comma-separated list, as `--servers` and `MEMCACHED_SERVERS` take it.
    ///
    /// # Errors
    /// [`Error::InvalidAddress`] for the first entry that does not parse, or for an empty list.
    pub fn parse_list(list: &str) -> Result<Vec<ServerAddr>, Error> {
        let addrs =
            list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse).collect::<Result<Vec<_>, _>>()?;
        if addrs.is_empty() {
            return Err(Error::InvalidAddress { input: list.to_owned(), reason: "no servers given" });
        }
        Ok(addrs)
    }
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.endpoint {
            Endpoint::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
            Endpoint::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl FromStr for ServerAddr {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        let bad = |reason| Error::InvalidAddress { input: input.to_owned(), reason };
        let parse_weight = |w: &str| match w.parse::<u32>() {
            Ok(0) | Err(_) => Err(bad("weight must be a whole number from 1 to 4294967295")),
            Ok(w) => Ok(w),
        };
        if let Some(path) = input.strip_prefix("unix:") {
            let (path, weight) = match path.rsplit_once(':') {
                Some((p, w)) if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) => (p, parse_weight(w)?),
                _ => (path, 1),
            };
            if path.is_empty() {
                return Err(bad("empty socket path"));
            }
            return Ok(ServerAddr::unix(path).with_weight(weight));
        }
        let (host, rest) = if let Some(v6) = input.strip_prefix('[') {
            let (host, rest) = v6.split_once(']').ok_or_else(|| bad("missing ']' after IPv6 address"))?;
            (host, rest.strip_prefix(':').ok_or_else(|| bad("expected ':' and a port after ']'"))?)
        } else {
            input.split_once(':').ok_or_else(|| bad("expected HOST:PORT[:WEIGHT]"))?
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(bad("invalid host"));
        }
        let (port, weight) = match rest.split_once(':') {
            Some((port, weight)) => (port, parse_weight(weight)?),
            None => (rest, 1),
        };
        let port = match port.parse::<u16>() {
            Ok(0) | Err(_) => return Err(bad("port must be a number from 1 to 65535")),
            Ok(p) => p,
        };
        Ok(ServerAddr::tcp(host, port).with_weight(weight))
    }
}
