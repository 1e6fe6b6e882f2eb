//! The load generator behind `memc bench`, also driving the peer comparison of the workspace's unpublished
//! `memkit-bench` crate (`cargo bench -p memkit-bench --bench peers`).
//!
//! A [`Target`] is anything that can get and set: `memcache-client` ([`ours::Ours`]), or, in `memkit-bench`, a peer crate.
//! [`run`] drives one with a [`Workload`] from many tasks, checks every value read against what the key space
//! holds (a fast wrong answer counts as an error), and reports throughput, latency percentiles and CPU time.
//! The harness runs in the process it measures, so it keeps its own cost low: values are checked by recomputing
//! them from the key, keys are written into each task's buffer, and one request in eight is timed (every request
//! is counted; which ones are timed does not depend on how long they take).
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use memcache_cli::load::{Workload, WorkloadKind, ours::Ours, run};
//! let target = Ours::connect("127.0.0.1:11211", 1)?;
//! let workload = Workload { kind: WorkloadKind::Get, concurrency: 64, ..Workload::default() };
//! let report = run(&target, &workload).await?;
//! println!("{}", report.summary_line());
//! # Ok(()) }
//! ```

mod blocking;
mod cpu;
mod keyspace;
pub mod ours;
mod report;
mod runner;

pub use blocking::{BlockingSession, BlockingTarget, run_blocking};
pub use cpu::{cpu_time, process_cpu_time};
pub(crate) use keyspace::KeyBuf;
pub use keyspace::KeySpace;
pub use report::Report;
pub use runner::{Session, Target, Workload, WorkloadKind, populate, run};
