//! `async-memcached` 0.9: one `Client` (one connection) per task.
//!
//! Its setup is all defaults, which are already its best for this load: the client buffers both directions
//! (`BufReader<BufWriter<TcpStream>>`), sets TCP_NODELAY and flushes once per request. It speaks ASCII `get`,
//! `set` and `get_multi` here (its `MetaProtocol` is the other option).

use async_memcached::{AsciiProtocol, Client, Error, Status};
use bytes::Bytes;
use memkit_bench::{Session, Target};

/// `async-memcached` against one server.
pub(crate) struct AsyncMemcached {
    dsn: String,
}

impl AsyncMemcached {
    /// A target for `addr` (`HOST:PORT`).
    pub(crate) fn new(addr: &str) -> Self {
        Self { dsn: format!("tcp://{addr}") }
    }
}

/// One task's client and its connection.
pub(crate) struct AsyncMemcachedSession(Client);

impl Target for AsyncMemcached {
    type Session = AsyncMemcachedSession;

    fn name(&self) -> String {
        "async-memcached 0.9 (task/conn)".to_owned()
    }

    async fn session(&self) -> Result<AsyncMemcachedSession, String> {
        Client::new(&self.dsn).await.map(AsyncMemcachedSession).map_err(|e| format!("async-memcached connect: {e}"))
    }
}

impl Session for AsyncMemcachedSession {
    async fn get(&mut self, key: &str) -> Result<Option<Bytes>, String> {
        match self.0.get(key).await {
            Ok(Some(value)) => Ok(value.data.map(Bytes::from)),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn set(&mut self, key: &str, value: &Bytes) -> Result<(), String> {
        self.0.set(key, &value[..], None, None).await.map_err(|e| e.to_string())
    }

    async fn get_many<'a>(&'a mut self, keys: &'a [&'a str]) -> Result<Vec<(Bytes, Bytes)>, String> {
        match self.0.get_multi(keys).await {
            Ok(values) => Ok(values
                .into_iter()
                .map(|v| (Bytes::from(v.key), v.data.map(Bytes::from).unwrap_or_default()))
                .collect()),
            // A multi-get that hits nothing comes back as a bare `END`, which this crate reports as not-found.
            Err(Error::Protocol(Status::NotFound)) => Ok(Vec::new()),
            Err(e) => Err(e.to_string()),
        }
    }
}
