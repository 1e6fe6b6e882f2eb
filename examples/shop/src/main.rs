//! Run with: cargo run -p example-shop
//!
//! Serves the shop on 127.0.0.1:8080 (`--listen` / `LISTEN_ADDR`) with SQLite in `./shop.db` (`DATABASE_URL`;
//! `postgres://...` for PostgreSQL, which any number of instances can share) and the in-process cache, or
//! memcached with `MEMCACHED_SERVERS=host:port,...`. Stops cleanly on Ctrl-C or SIGTERM.
//! Slow clients are cut off: `HEADER_READ_TIMEOUT_MS` (10 s), `BODY_READ_TIMEOUT_MS` (30 s), `MAX_CONNECTIONS`
//! (4,096); `--help` lists every setting.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use effects_real::{World, WorldConfig};
use example_shop::config::Config;
use memcache_client::ServerAddr;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: a log redirected to a file or a collector stays plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    match run(Config::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    let mut world = WorldConfig::default().database_url(&config.database_url);
    match &config.memcached_servers {
        Some(list) => {
            let servers = ServerAddr::parse_list(list).map_err(|e| format!("MEMCACHED_SERVERS: {e}"))?;
            let names: Vec<String> = servers.iter().map(ToString::to_string).collect();
            tracing::info!("cache: memcached at {}", names.join(","));
            world = world.memcached(list);
        }
        None => tracing::info!("cache: in-process (set MEMCACHED_SERVERS=host:port,... to use memcached)"),
    }
    tracing::info!("store: {} (set DATABASE_URL to change)", config.store_description());
    let world = World::connect(&world).await.map_err(|e| format!("cannot start: {e}"))?;

    if let Some(handle) = example_shop::install_prometheus() {
        // Histograms are folded in on upkeep; do it even when nobody scrapes /metrics, to bound memory.
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        });
    }

    let listener =
        TcpListener::bind(&config.listen).await.map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!("listening on http://{addr}");
    // On stdout, alone, so scripts and tests learn the port when they asked for port 0.
    println!("listening on http://{addr}");

    let limits = config.limits();
    example_shop::serve::serve(listener, example_shop::app_with(Arc::new(world), limits), limits, shutdown()).await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = term => tracing::info!("SIGTERM: shutting down"),
    }
}
