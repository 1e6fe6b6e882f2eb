//! TLS: every connection speaks TLS (rustls) to memcached started with `-Z`.
//!
//! Needs the `tls` feature (on by default), a memcached built with TLS and a certificate for its address:
//!
//! ```text
//! memcached -p 11211 -Z -o ssl_chain_cert=server.pem,ssl_key=server-key.pem &
//! MEMCACHED_TLS_CA=ca.pem cargo run -p memcache-client --example tls
//! ```
//!
//! `MEMCACHED_TLS_CA` is the PEM file of the CA that signed the server's certificate; `MEMCACHED_SERVERS`
//! (default `127.0.0.1:11211`) must match the certificate's names (`127.0.0.1` needs an IP address SAN).

use memcache_client::{Client, Config, Error, ServerAddr, StoreOptions, TlsConfig};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let servers = std::env::var("MEMCACHED_SERVERS").unwrap_or_else(|_| "127.0.0.1:11211".to_owned());
    let Ok(ca_file) = std::env::var("MEMCACHED_TLS_CA") else {
        eprintln!("set MEMCACHED_TLS_CA to the PEM file of the CA that signed memcached's certificate");
        std::process::exit(2);
    };
    let ca_pem = std::fs::read(&ca_file).unwrap_or_else(|e| {
        eprintln!("cannot read {ca_file}: {e}");
        std::process::exit(2);
    });
    run(&servers, &ca_pem).await
}

/// The example itself; the integration tests run it against a TLS memcached of their own.
pub(crate) async fn run(servers: &str, ca_pem: &[u8]) -> Result<(), Error> {
    let mut config = Config::default();
    config.tls = Some(TlsConfig::from_root_pem(ca_pem)?);
    let client = Client::with_config(ServerAddr::parse_list(servers)?, config)?;

    assert!(client.set("example:secret", "over TLS", StoreOptions::default().ttl(60)).await?.is_stored());
    let item = client.get("example:secret").await?.expect("just stored");
    println!("example:secret = {:?} (read over TLS)", String::from_utf8_lossy(&item.value));
    Ok(())
}
