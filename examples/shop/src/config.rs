//! Configuration from the command line and the environment.

use clap::Parser;

/// `example-shop [--listen ADDR] [--memcached-servers LIST] [--database-url URL]`.
#[derive(Debug, Clone, Parser)]
#[command(name = "example-shop", about = "memkit example: a virtual-goods shop over REST")]
pub struct Config {
    /// The address to listen on; port 0 picks a free one (the bound address is printed on stdout).
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// memcached servers, `host:port[,host:port...]`; without it the in-process cache is used.
    #[arg(long, env = "MEMCACHED_SERVERS")]
    pub memcached_servers: Option<String>,
    /// The SQLite database; the default is `shop.db` in the working directory, created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://shop.db")]
    pub database_url: String,
}
