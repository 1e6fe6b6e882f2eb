//! `memc`: a command-line memcached client on `memcache-client`.
//!
//! ```text
//! memc --servers 127.0.0.1:11211 set greeting hello --ttl 60
//! memc get greeting
//! printf 'binary\0value' | memc set blob -
//! memc --servers 10.0.0.1:11211:2,10.0.0.2:11211 route user:1 user:2    # KEY<TAB>HOST:PORT per key
//! ```
//!
//! Exit codes: 0 success, 1 miss (key not found), 2 invalid input, 3 not stored (add/replace/append/prepend/cas
//! condition failed), 4 the server replied with an error, 5 timeout, 6 connection or protocol failure.

mod bench;
mod drain;
mod exit;
mod soak;

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use clap::{Parser, Subcommand};
use memcache_client::{Cas, Client, Config, Distribution, Protocol, ServerAddr, StoreOptions, StoreOutcome};

use crate::exit::{Failure, Outcome};

/// A command-line memcached client.
#[derive(Debug, Parser)]
#[command(name = "memc", version, about, after_help = exit::HELP)]
struct Cli {
    /// Servers, comma-separated `HOST:PORT[:WEIGHT]` (or `unix:/path`).
    #[arg(long, env = "MEMCACHED_SERVERS", default_value = "127.0.0.1:11211", global = true)]
    servers: String,
    /// Request timeout in milliseconds.
    #[arg(long, default_value_t = 2000, global = true)]
    timeout_ms: u64,
    /// Connect timeout in milliseconds.
    #[arg(long, default_value_t = 1000, global = true)]
    connect_timeout_ms: u64,
    /// Speak the text protocol instead of the meta protocol (for servers older than 1.6).
    #[arg(long, global = true)]
    text: bool,
    /// How keys map to servers: ketama (libmemcached/twemproxy compatible), rendezvous (pymemcache) or modula.
    #[arg(long, value_enum, default_value_t = DistributionArg::Ketama, global = true)]
    distribution: DistributionArg,
    /// Async runtime worker threads: 0 runs everything on the calling thread (the default, and the fastest for
    /// one pipelined connection), N > 0 a multi-threaded runtime with N workers.
    #[arg(long, default_value_t = 0, global = true)]
    threads: usize,
    #[command(subcommand)]
    command: Cmd,
}

/// `--distribution` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DistributionArg {
    Ketama,
    Rendezvous,
    Modula,
}

impl From<DistributionArg> for Distribution {
    fn from(arg: DistributionArg) -> Self {
        match arg {
            DistributionArg::Ketama => Distribution::Ketama,
            DistributionArg::Rendezvous => Distribution::Rendezvous,
            DistributionArg::Modula => Distribution::Modula,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Print the value stored under KEY to stdout, byte for byte.
    Get {
        /// The key.
        key: String,
    },
    /// Like get, and print `cas=TOKEN flags=FLAGS` to stderr.
    Gets {
        /// The key.
        key: String,
    },
    /// Store VALUE (or stdin, with `-`) under KEY.
    Set(StoreArgs),
    /// Store only if KEY is absent.
    Add(StoreArgs),
    /// Store only if KEY exists.
    Replace(StoreArgs),
    /// Append VALUE to the existing value.
    Append(StoreArgs),
    /// Prepend VALUE to the existing value.
    Prepend(StoreArgs),
    /// Store only if the item's CAS token is still TOKEN (see `gets`).
    Cas {
        /// The CAS token read by `gets`.
        #[arg(long)]
        cas: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete KEY.
    Delete {
        /// The key.
        key: String,
    },
    /// Increment the number under KEY by DELTA and print the result.
    Incr {
        /// The key.
        key: String,
        /// The amount.
        #[arg(default_value_t = 1)]
        delta: u64,
    },
    /// Decrement the number under KEY by DELTA (flooring at 0) and print the result.
    Decr {
        /// The key.
        key: String,
        /// The amount.
        #[arg(default_value_t = 1)]
        delta: u64,
    },
    /// Set KEY's expiry to TTL seconds.
    Touch {
        /// The key.
        key: String,
        /// New expiry in seconds (0: never).
        ttl: u32,
    },
    /// Print each server's statistics, or a group of them (`items`, `slabs`, `settings`, ...).
    Stats {
        /// The statistics group.
        group: Option<String>,
    },
    /// Print each server's version.
    Version,
    /// Measure throughput and latency: populate a key space, warm up, run, check every value read.
    Bench(bench::BenchArgs),
    /// Run a mixed load that checks every value read against a model of what was written; with `--spawn N` it
    /// starts its own servers and kills, pauses and restarts them meanwhile.
    Soak(soak::SoakArgs),
    /// Print the server each KEY maps to, one `KEY<TAB>HOST:PORT` line per key, without connecting. `-` reads
    /// keys from stdin, one per line.
    Route {
        /// The keys; `-` for stdin.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Invalidate every item on every server.
    Flush {
        /// Seconds to wait before invalidating.
        #[arg(long)]
        delay: Option<u32>,
    },
}

#[derive(Debug, clap::Args)]
struct StoreArgs {
    /// The key.
    key: String,
    /// The value; `-` reads it from stdin, byte for byte.
    value: String,
    /// Expiry in seconds (0: never; past 30 days, a Unix timestamp).
    #[arg(long, default_value_t = 0)]
    ttl: u32,
    /// 32-bit client flags stored with the value.
    #[arg(long, default_value_t = 0)]
    flags: u32,
}

impl StoreArgs {
    fn value(&self) -> Result<Bytes, Failure> {
        if self.value != "-" {
            return Ok(Bytes::copy_from_slice(self.value.as_bytes()));
        }
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| Failure::invalid(format!("cannot read stdin: {e}")))?;
        Ok(buf.into())
    }

    fn options(&self) -> StoreOptions {
        StoreOptions::default().ttl(self.ttl).flags(self.flags)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut builder = if cli.threads == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(cli.threads);
        builder
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Failure::connection(format!("cannot start the async runtime: {e}")).report(),
    };
    match runtime.block_on(run(cli)) {
        Ok(outcome) => outcome.report(),
        Err(failure) => failure.report(),
    }
}

async fn run(cli: Cli) -> Result<Outcome, Failure> {
    if let Cmd::Bench(args) = &cli.command {
        return bench::run(&cli.servers, args).await;
    }
    if let Cmd::Soak(args) = &cli.command {
        return soak::run(&cli.servers, Duration::from_millis(cli.timeout_ms), args).await;
    }
    let servers = ServerAddr::parse_list(&cli.servers)?;
    let mut config = Config::default();
    config.request_timeout = Duration::from_millis(cli.timeout_ms);
    config.connect_timeout = Duration::from_millis(cli.connect_timeout_ms);
    if cli.text {
        config.protocol = Protocol::Text;
    }
    config.distribution = cli.distribution.into();
    let client = Client::with_config(servers, config)?;
    let mut out = std::io::stdout().lock();
    let write = |out: &mut std::io::StdoutLock<'_>, bytes: &[u8]| {
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| Failure::connection(format!("cannot write stdout: {e}")))
    };
    match cli.command {
        Cmd::Get { key } => match client.get(&key).await? {
            Some(item) => write(&mut out, &item.value).map(|()| Outcome::Done),
            None => Ok(Outcome::Miss(key)),
        },
        Cmd::Gets { key } => match client.gets(&key).await? {
            Some(item) => {
                eprintln!("cas={} flags={}", item.cas.map_or(0, |Cas(c)| c), item.flags);
                write(&mut out, &item.value).map(|()| Outcome::Done)
            }
            None => Ok(Outcome::Miss(key)),
        },
        Cmd::Set(args) => stored(client.set(&args.key, args.value()?, args.options()).await?, args.key),
        Cmd::Add(args) => stored(client.add(&args.key, args.value()?, args.options()).await?, args.key),
        Cmd::Replace(args) => stored(client.replace(&args.key, args.value()?, args.options()).await?, args.key),
        Cmd::Append(args) => stored(client.append(&args.key, args.value()?).await?, args.key),
        Cmd::Prepend(args) => stored(client.prepend(&args.key, args.value()?).await?, args.key),
        Cmd::Cas { cas, store } => {
            stored(client.cas(&store.key, store.value()?, Cas(cas), store.options()).await?, store.key)
        }
        Cmd::Delete { key } => Ok(if client.delete(&key).await? { Outcome::Done } else { Outcome::Miss(key) }),
        Cmd::Incr { key, delta } => number(&mut out, client.incr(&key, delta).await?, key),
        Cmd::Decr { key, delta } => number(&mut out, client.decr(&key, delta).await?, key),
        Cmd::Touch { key, ttl } => Ok(if client.touch(&key, ttl).await? { Outcome::Done } else { Outcome::Miss(key) }),
        Cmd::Stats { group } => {
            let all = client.stats(group.as_deref()).await?;
            let many = all.len() > 1;
            let mut text = String::new();
            for (server, stats) in all {
                for (name, value) in stats {
                    if many {
                        text.push_str(&format!("{server}\t"));
                    }
                    text.push_str(&format!("{name}\t{value}\n"));
                }
            }
            write(&mut out, text.as_bytes()).map(|()| Outcome::Done)
        }
        Cmd::Version => {
            let text: String =
                client.version().await?.into_iter().map(|(server, v)| format!("{server}\t{v}\n")).collect();
            write(&mut out, text.as_bytes()).map(|()| Outcome::Done)
        }
        Cmd::Bench(_) | Cmd::Soak(_) => unreachable!("handled above"),
        Cmd::Route { keys } => {
            let mut text = String::new();
            for key in keys {
                if key == "-" {
                    let mut input = String::new();
                    std::io::stdin()
                        .read_to_string(&mut input)
                        .map_err(|e| Failure::invalid(format!("cannot read stdin: {e}")))?;
                    for line in input.lines().map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()) {
                        text.push_str(&format!("{line}\t{}\n", client.server_for(line.as_bytes())));
                    }
                } else {
                    text.push_str(&format!("{key}\t{}\n", client.server_for(key.as_bytes())));
                }
            }
            write(&mut out, text.as_bytes()).map(|()| Outcome::Done)
        }
        Cmd::Flush { delay } => client.flush_all(delay).await.map(|()| Outcome::Done).map_err(Failure::from),
    }
}

fn stored(outcome: StoreOutcome, key: String) -> Result<Outcome, Failure> {
    Ok(match outcome {
        StoreOutcome::Stored => Outcome::Done,
        StoreOutcome::NotStored => Outcome::NotStored(key, "not stored (add of an existing key, or the key is absent)"),
        StoreOutcome::Exists => Outcome::NotStored(key, "not stored: the item changed since the CAS token was read"),
        StoreOutcome::NotFound => Outcome::Miss(key),
    })
}

fn number(out: &mut std::io::StdoutLock<'_>, value: Option<u64>, key: String) -> Result<Outcome, Failure> {
    match value {
        Some(n) => writeln!(out, "{n}")
            .map(|()| Outcome::Done)
            .map_err(|e| Failure::connection(format!("cannot write stdout: {e}"))),
        None => Ok(Outcome::Miss(key)),
    }
}
