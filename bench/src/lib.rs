//! The peer comparison's harness (`cargo bench -p memkit-bench --bench peers`): the load generator of `memc bench`
//! ([`memcache_cli::load`], re-exported here) plus the raw pipelined [`probe`], which only the comparison uses.
//!
//! ```no_run
//! # async fn demo() -> Result<(), String> {
//! use memkit_bench::{Workload, WorkloadKind, ours::Ours, run};
//! let target = Ours::connect("127.0.0.1:11211", 1)?;
//! let workload = Workload { kind: WorkloadKind::Get, concurrency: 64, ..Workload::default() };
//! let report = run(&target, &workload).await?;
//! println!("{}", report.summary_line());
//! # Ok(()) }
//! ```

pub use memcache_cli::load::*;
pub mod probe;
