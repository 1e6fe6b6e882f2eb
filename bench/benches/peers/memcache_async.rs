//! `memcache-async` 0.10: one `Protocol` over one TCP connection per task.
//!
//! The crate takes any stream and wraps only the read side (`BufReader`), writing each request in several
//! `write_all` calls; its best setup therefore puts a `tokio::io::BufWriter` in front of the socket, large enough
//! for a 10 KiB set in one piece, so each request leaves in one write. Its `with-tokio` feature takes tokio's io
//! traits directly (no futures-io compat layer), and the socket has TCP_NODELAY.
//!
//! Its only `set` is `noreply`, which cannot report a failure and does not wait for the server. The session makes
//! each set wait anyway, as every other target's does: it follows the set with `version` on the same connection,
//! whose answer arrives only after the server has processed the set. One set is therefore two commands and one round
//! trip.

use std::io::ErrorKind;

use bytes::Bytes;
use memcache_async::ascii::Protocol;
use memkit_bench::{Session, Target};
use tokio::io::BufWriter;
use tokio::net::TcpStream;

/// Write buffer per connection: a 10 KiB value plus its command line fits.
const WRITE_BUFFER: usize = 16 * 1024;

/// `memcache-async` against one server.
pub(crate) struct MemcacheAsync {
    addr: String,
}

impl MemcacheAsync {
    /// A target for `addr` (`HOST:PORT`).
    pub(crate) fn new(addr: &str) -> Self {
        Self { addr: addr.to_owned() }
    }
}

/// One task's protocol over its own buffered connection.
pub(crate) struct MemcacheAsyncSession(Protocol<BufWriter<TcpStream>>);

impl Target for MemcacheAsync {
    type Session = MemcacheAsyncSession;

    fn name(&self) -> String {
        "memcache-async 0.10 (task/conn)".to_owned()
    }

    async fn session(&self) -> Result<MemcacheAsyncSession, String> {
        let stream = TcpStream::connect(&self.addr).await.map_err(|e| format!("memcache-async connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| format!("memcache-async nodelay: {e}"))?;
        Ok(MemcacheAsyncSession(Protocol::new(BufWriter::with_capacity(WRITE_BUFFER, stream))))
    }
}

impl Session for MemcacheAsyncSession {
    async fn get(&mut self, key: &str) -> Result<Option<Bytes>, String> {
        match self.0.get(key).await {
            Ok(value) => Ok(Some(Bytes::from(value))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn set(&mut self, key: &str, value: &Bytes) -> Result<(), String> {
        self.0.set(key, value, 0).await.map_err(|e| e.to_string())?;
        self.0.version().await.map(drop).map_err(|e| format!("set {key} (confirming with version): {e}"))
    }

    async fn get_many<'a>(&'a mut self, keys: &'a [&'a str]) -> Result<Vec<(Bytes, Bytes)>, String> {
        let hits = self.0.get_multi(keys).await.map_err(|e| e.to_string())?;
        Ok(hits.into_iter().map(|(k, v)| (Bytes::from(k), Bytes::from(v))).collect())
    }
}
