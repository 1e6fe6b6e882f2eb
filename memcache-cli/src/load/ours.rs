//! This crate's client as a benchmark target: all tasks share one `Client` (its connections are pipelined).

use bytes::Bytes;
use memcache_client::{Client, Config, ServerAddr, StoreOptions};

use super::runner::{Session, Target};

/// `memcache-client`, shared by every task.
#[derive(Debug, Clone)]
pub struct Ours {
    client: Client,
    connections: usize,
}

impl Ours {
    /// A client for `servers` with `connections` connections per server.
    ///
    /// # Errors
    /// If the server list does not parse.
    pub fn connect(servers: &str, connections: usize) -> Result<Self, String> {
        let mut config = Config::default();
        config.connections_per_server = connections.max(1);
        let addrs = ServerAddr::parse_list(servers).map_err(|e| e.to_string())?;
        let client = Client::with_config(addrs, config).map_err(|e| e.to_string())?;
        Ok(Self { client, connections })
    }
}

impl Target for Ours {
    type Session = Client;

    fn name(&self) -> String {
        format!("memcache-client ({} conn/server)", self.connections)
    }

    async fn session(&self) -> Result<Client, String> {
        Ok(self.client.clone())
    }
}

impl Session for Client {
    async fn get(&mut self, key: &str) -> Result<Option<Bytes>, String> {
        Client::get(self, key).await.map(|item| item.map(|i| i.value)).map_err(|e| e.to_string())
    }

    async fn set(&mut self, key: &str, value: &Bytes) -> Result<(), String> {
        match Client::set(self, key, value, StoreOptions::default()).await {
            Ok(outcome) if outcome.is_stored() => Ok(()),
            Ok(outcome) => Err(format!("set {key}: {outcome:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn get_many<'a>(&'a mut self, keys: &'a [&'a str]) -> Result<Vec<(Bytes, Bytes)>, String> {
        // A server failure for any key fails the batch here, so the bench counts it as a failure, not as misses.
        let hits = Client::get_many(self, keys.iter().copied())
            .await
            .and_then(memcache_client::MultiGet::into_complete)
            .map_err(|e| e.to_string())?;
        Ok(hits.into_iter().map(|(k, item)| (k, item.value)).collect())
    }
}
