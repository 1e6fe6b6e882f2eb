//! Configuration from the command line and the environment.

use std::time::Duration;

use clap::Parser;

use crate::serve::Limits;

/// `example-shop [--listen ADDR] [--memcached-servers LIST] [--database-url URL] [limits...]`.
#[derive(Debug, Clone, Parser)]
#[command(name = "example-shop", about = "memkit example: a virtual-goods shop over REST")]
pub struct Config {
    /// The address to listen on; port 0 picks a free one (the bound address is printed on stdout).
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// memcached servers, `host:port[,host:port...]`; without it the in-process cache is used.
    #[arg(long, env = "MEMCACHED_SERVERS")]
    pub memcached_servers: Option<String>,
    /// The database: `sqlite://PATH` (the default is `shop.db` in the working directory, created if missing; one
    /// instance only) or `postgres://USER:PASSWORD@HOST:PORT/DB` (shared by any number of instances). The schema
    /// is created or migrated at start.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://shop.db")]
    pub database_url: String,
    /// Milliseconds a client has to send a request's headers, counted from the connection's start or the end of
    /// its previous response; past it the connection is closed. Bounds idle keep-alive connections too.
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,
    /// Milliseconds a client has to send a request's body once its headers arrived; past it the answer is 408
    /// `request_timeout` and the connection is closed.
    #[arg(long, env = "BODY_READ_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout_ms: u64,
    /// Connections served at once; further clients wait in the listen backlog until one closes.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 4_096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
}

impl Config {
    /// The store for logs: the backend and where it is, without the password a PostgreSQL URL may carry.
    pub fn store_description(&self) -> String {
        let url = &self.database_url;
        match effects_real::Backend::of_url(url) {
            effects_real::Backend::Postgres => {
                let place = url.rsplit_once('@').map_or(url.as_str(), |(_, place)| place);
                format!("PostgreSQL at {place}")
            }
            _ => format!("SQLite at {url}"),
        }
    }

    /// The connection limits this configuration sets.
    pub fn limits(&self) -> Limits {
        Limits {
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms),
            body_read_timeout: Duration::from_millis(self.body_read_timeout_ms),
            max_connections: self.max_connections as usize,
        }
    }
}
