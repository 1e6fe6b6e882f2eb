//! Side-by-side comparison: this crate's client, the raw pipelined probe (the ceiling) and, later, the peers,
//! against one real memcached started for the run.
//!
//! Run: `cargo bench -p memkit-bench --bench peers -- [--secs S] [--only NAME]`

use std::time::Duration;

use memkit_bench::probe::{self, ProbeKind};
use memkit_bench::{KeySpace, Workload, WorkloadKind, ours::Ours, populate, run};
use memkit_testkit::Memcached;

fn main() {
    let secs: f64 = std::env::args().skip_while(|a| a != "--secs").nth(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let server = Memcached::start_with(&["-m", "1024", "-t", "4"]);
    let addr = server.addr();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let duration = Duration::from_secs_f64(secs);
    let warmup = Duration::from_millis(500);
    for (kind, concurrency) in [
        (WorkloadKind::Get, 1),
        (WorkloadKind::Get, 64),
        (WorkloadKind::Set, 64),
        (WorkloadKind::MultiGet, 8),
        (WorkloadKind::Mixed, 64),
    ] {
        let workload =
            Workload { kind, concurrency, value_size: 100, keys: 10_000, warmup, duration, ..Workload::default() };
        let target = Ours::connect(&addr, 1).expect("client");
        let report = rt.block_on(run(&target, &workload)).expect("run");
        println!("{:<40} {:<28} {}", report.target, report.workload, report.summary_line());
    }
    let space = KeySpace::new(10_000, 100);
    let target = Ours::connect(&addr, 1).expect("client");
    rt.block_on(async { populate(&mut memkit_bench::Target::session(&target).await?, &space).await })
        .expect("populate");
    for (kind, in_flight) in
        [(ProbeKind::MetaGet, 64), (ProbeKind::MetaGet, 256), (ProbeKind::Get, 64), (ProbeKind::MetaSet, 64)]
    {
        let report = probe::run(&addr, kind, &space, in_flight, warmup, duration).expect("probe");
        println!(
            "raw probe {kind:?} in_flight={in_flight}: {:.0}/s wrong={} cpu_ns_per_op={:.0}",
            report.replies_per_s, report.wrong, report.cpu_ns_per_op
        );
    }
}
