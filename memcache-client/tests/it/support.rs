//! Clients for the test servers.

use memcache_client::{Client, Config, ServerAddr};
pub(crate) use memkit_testkit::{Memcached, Rng};

/// A client for `server` with the default config.
pub(crate) fn client(server: &Memcached) -> Client {
    Client::new(&server.addr()).expect("valid address")
}

/// A client for `server` with `config`.
pub(crate) fn client_with(server: &Memcached, config: Config) -> Client {
    Client::with_config(ServerAddr::parse_list(&server.addr()).expect("valid address"), config).expect("client")
}
