//! Run with: cargo run -p example-hello
//!
//! Listens on `LISTEN_ADDR` (default 127.0.0.1:8081); `MEMCACHED_SERVERS` switches from the in-process cache to
//! memcached; `DATABASE_URL` (default: SQLite in memory) picks the database.

use std::sync::Arc;

use effects_real::{World, WorldConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut config = WorldConfig::default();
    if let Some(url) = env("DATABASE_URL") {
        config = config.database_url(url);
    }
    if let Some(servers) = env("MEMCACHED_SERVERS") {
        config = config.memcached(servers);
    }
    eprintln!("cache: {}", config.memcached.as_deref().unwrap_or("in-process"));
    eprintln!("store: {}", config.database_url);
    let world = World::connect(&config).await?;

    let listen = env("LISTEN_ADDR").unwrap_or_else(|| "127.0.0.1:8081".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            Some(()) = async { term.as_mut()?.recv().await } => {}
        }
    };
    axum::serve(listener, example_hello::app(Arc::new(world))).with_graceful_shutdown(stop).await?;
    Ok(())
}
