//! `memc bench`: the load generator of [`memcache_cli::load`] driving this crate's client.

use std::time::Duration;

use memcache_cli::load::ours::Ours;
use memcache_cli::load::{Workload, WorkloadKind};

use crate::exit::{Failure, Outcome};

/// `memc bench` options.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// get, set, mixed (90% get, 10% set) or mget.
    #[arg(long, default_value = "get")]
    workload: WorkloadKind,
    /// Concurrent tasks, each with one request outstanding.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Connections per server, shared by all tasks.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Value size in bytes.
    #[arg(long, default_value_t = 100)]
    value_size: usize,
    /// Keys per multi-get.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Keys in the key space (default: 10,000, fewer for large values so the space fits in 64 MiB).
    #[arg(long)]
    keys: Option<usize>,
    /// Measured seconds.
    #[arg(long, default_value_t = 5.0)]
    secs: f64,
    /// Warm-up seconds (not measured).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
}

pub(crate) async fn run(servers: &str, args: &BenchArgs) -> Result<Outcome, Failure> {
    let target = Ours::connect(servers, args.connections).map_err(Failure::invalid)?;
    let secs = |s: f64| Duration::try_from_secs_f64(s).map_err(|e| Failure::invalid(format!("bad duration {s}: {e}")));
    let workload = Workload {
        kind: args.workload,
        concurrency: args.concurrency.max(1),
        value_size: args.value_size,
        batch: args.batch.max(1),
        keys: args.keys.unwrap_or_else(|| (64 << 20) / args.value_size.max(1)).clamp(1, 10_000),
        warmup: secs(args.warmup)?,
        duration: secs(args.secs)?,
        seed: 42,
    };
    let report = memcache_cli::load::run(&target, &workload).await.map_err(Failure::connection)?;
    print!("{}", report.human());
    println!("{}", report.summary_line());
    if report.errors() > 0 {
        return Err(Failure::connection(format!("{} errors during the benchmark", report.errors())));
    }
    Ok(Outcome::Done)
}
