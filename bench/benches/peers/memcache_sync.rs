//! `memcache` 0.21 (sync), driven from OS threads by [`run_blocking`](memkit_bench::run_blocking).
//!
//! Its best setup for this load: the ASCII protocol (`?protocol=ascii`; the crate's default is binary), TCP_NODELAY
//! (its default), and a connection of its own per thread: an r2d2 pool of one connection per session, built with
//! `test_on_check_out(false)` so a checkout does not send `version` and wait for it before every request (r2d2's
//! default, which the crate's own builder cannot turn off). All pools share one r2d2 helper thread.

use std::sync::Arc;

use bytes::Bytes;
use memcache::{Client, ConnectionManager};
use memkit_bench::{BlockingSession, BlockingTarget};
use scheduled_thread_pool::ScheduledThreadPool;

/// The `memcache` crate against one server.
pub(crate) struct MemcacheSync {
    url: url::Url,
    helpers: Arc<ScheduledThreadPool>,
}

impl MemcacheSync {
    /// A target for `addr` (`HOST:PORT`).
    pub(crate) fn new(addr: &str) -> Result<Self, String> {
        let url = format!("memcache://{addr}?protocol=ascii&tcp_nodelay=true");
        let url = url::Url::parse(&url).map_err(|e| format!("memcache url {url}: {e}"))?;
        Ok(Self {
            url,
            helpers: Arc::new(
                ScheduledThreadPool::builder().num_threads(1).thread_name_pattern("r2d2-memcache").build(),
            ),
        })
    }
}

/// One thread's client, holding its one pooled connection.
pub(crate) struct MemcacheSession(Client);

impl BlockingTarget for MemcacheSync {
    type Session = MemcacheSession;

    fn name(&self) -> String {
        "memcache 0.21 (sync, ascii, thread/conn)".to_owned()
    }

    fn session(&self) -> Result<MemcacheSession, String> {
        let pool = r2d2::Pool::builder()
            .max_size(1)
            .test_on_check_out(false)
            .thread_pool(self.helpers.clone())
            .build(ConnectionManager::new(self.url.clone()))
            .map_err(|e| format!("memcache pool: {e}"))?;
        Client::with_pool(pool).map(MemcacheSession).map_err(|e| e.to_string())
    }
}

impl BlockingSession for MemcacheSession {
    fn get(&mut self, key: &str) -> Result<Option<Bytes>, String> {
        self.0.get::<Vec<u8>>(key).map(|v| v.map(Bytes::from)).map_err(|e| e.to_string())
    }

    fn set(&mut self, key: &str, value: &Bytes) -> Result<(), String> {
        self.0.set(key, &value[..], 0).map_err(|e| e.to_string())
    }

    fn get_many(&mut self, keys: &[&str]) -> Result<Vec<(Bytes, Bytes)>, String> {
        let hits = self.0.gets::<Vec<u8>>(keys).map_err(|e| e.to_string())?;
        Ok(hits.into_iter().map(|(k, v)| (Bytes::from(k), Bytes::from(v))).collect())
    }
}
