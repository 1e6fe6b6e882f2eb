//! Benchmark results and how they print.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::runner::{Worker, Workload};

/// The measured outcome of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// The workload's description.
    pub workload: String,
    /// Operations completed in the measured window (keys, for multi-get).
    pub ops: u64,
    /// Operations per second.
    pub ops_per_s: f64,
    /// Median request latency in microseconds (of the timed requests: one in eight, two significant figures).
    pub p50_us: f64,
    /// 99th percentile latency in microseconds.
    pub p99_us: f64,
    /// 99.9th percentile latency in microseconds.
    pub p999_us: f64,
    /// Values read that differ from what the key holds.
    pub wrong: u64,
    /// Keys that should have been there but were reported missing.
    pub misses: u64,
    /// Requests that failed outright.
    pub failures: u64,
    /// The first failure's message.
    pub first_error: Option<String>,
    /// CPU time of this process per operation in the measured window, in nanoseconds.
    pub cpu_ns_per_op: f64,
}

impl Report {
    pub(crate) fn from_workers(
        target: String,
        workload: &Workload,
        workers: Vec<Worker>,
        duration: Duration,
        cpu: Duration,
    ) -> Self {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 2).expect("valid bounds");
        let (mut ops, mut wrong, mut misses, mut failures, mut first_error) = (0, 0, 0, 0, None);
        for worker in workers {
            let _ = histogram.add(&worker.histogram);
            ops += worker.ops;
            wrong += worker.wrong;
            misses += worker.misses;
            failures += worker.failures;
            first_error = first_error.or(worker.first_error);
        }
        let us = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
        Self {
            target,
            workload: workload.describe(),
            ops,
            ops_per_s: ops as f64 / duration.as_secs_f64(),
            p50_us: us(0.5),
            p99_us: us(0.99),
            p999_us: us(0.999),
            wrong,
            misses,
            failures,
            first_error,
            cpu_ns_per_op: if ops == 0 { 0.0 } else { cpu.as_nanos() as f64 / ops as f64 },
        }
    }

    /// Wrong values, misses and failures together.
    pub fn errors(&self) -> u64 {
        self.wrong + self.misses + self.failures
    }

    /// A few human-readable lines.
    pub fn human(&self) -> String {
        let mut text = format!(
            "{} — {}\n  throughput: {:.0} ops/s ({} ops)\n  latency:    p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs\n  \
             cpu:        {:.0} ns per op (client process)\n  errors:     {} wrong values, {} misses, {} failures\n",
            self.target,
            self.workload,
            self.ops_per_s,
            self.ops,
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.cpu_ns_per_op,
            self.wrong,
            self.misses,
            self.failures
        );
        if let Some(error) = &self.first_error {
            text.push_str(&format!("  first error: {error}\n"));
        }
        text
    }

    /// The grep-able line: `ops_per_s=... p50_us=... p99_us=... p999_us=... errors=...`.
    pub fn summary_line(&self) -> String {
        format!(
            "ops_per_s={:.0} p50_us={:.1} p99_us={:.1} p999_us={:.1} errors={} cpu_ns_per_op={:.0}",
            self.ops_per_s,
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.errors(),
            self.cpu_ns_per_op
        )
    }
}
