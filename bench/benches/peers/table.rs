//! The comparison's rows and how they print as a Markdown table.

use memkit_bench::Report;

/// One measured (or failed) target under one workload.
pub(crate) struct Row {
    /// The workload's description, e.g. `get c=64 v=100B`.
    pub(crate) workload: String,
    /// The target's name.
    pub(crate) target: String,
    /// Whether this is our client's row (the numerator of every ratio).
    pub(crate) ours: bool,
    /// Whether this is a probe row (its ratio reads ours/probe).
    pub(crate) probe: bool,
    /// Requests per second (keys per second for multi-get); `None` when the run failed.
    pub(crate) ops_per_s: Option<f64>,
    /// Median latency in microseconds, where measured.
    pub(crate) p50_us: Option<f64>,
    /// 99th percentile latency in microseconds, where measured.
    pub(crate) p99_us: Option<f64>,
    /// Client CPU per operation in nanoseconds.
    pub(crate) cpu_ns_per_op: Option<f64>,
    /// Wrong values, misses and failures; `None` where the target does not verify.
    pub(crate) errors: Option<u64>,
    /// The first error, or why the run failed, for the notes under the table.
    pub(crate) note: Option<String>,
}

impl Row {
    /// A row from one of the runners' reports.
    pub(crate) fn from_report(report: &Report, ours: bool) -> Self {
        Self {
            workload: report.workload.clone(),
            target: report.target.clone(),
            ours,
            probe: false,
            ops_per_s: Some(report.ops_per_s),
            p50_us: Some(report.p50_us),
            p99_us: Some(report.p99_us),
            cpu_ns_per_op: Some(report.cpu_ns_per_op),
            errors: Some(report.errors()),
            note: report.first_error.clone(),
        }
    }

    /// A row for a run that did not complete.
    pub(crate) fn failed(workload: String, target: String, ours: bool, error: String) -> Self {
        Self {
            workload,
            target,
            ours,
            probe: false,
            ops_per_s: None,
            p50_us: None,
            p99_us: None,
            cpu_ns_per_op: None,
            errors: None,
            note: Some(format!("run failed: {error}")),
        }
    }

    /// Whether the row counts as bad: a failed run or any error.
    pub(crate) fn is_bad(&self) -> bool {
        self.ops_per_s.is_none() || self.errors.is_some_and(|e| e > 0)
    }
}

/// The Markdown table of `rows` (in run order), with each row's throughput ratio to our row of the same workload.
pub(crate) fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "| workload | target | ops/s (keys/s for mget) | p50 µs | p99 µs | CPU ns/op | errors | ours ÷ this |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        // Against our best configuration for the workload (multi-get also runs with several connections).
        let ours = rows
            .iter()
            .filter(|r| r.ours && r.workload == row.workload)
            .filter_map(|r| r.ops_per_s)
            .fold(None, |best: Option<f64>, o| Some(best.map_or(o, |b| b.max(o))));
        let ratio = match (ours, row.ops_per_s) {
            _ if row.ours => "1.00".to_owned(),
            (Some(ours), Some(this)) if this > 0.0 => {
                let label = if row.probe { " (ours/probe)" } else { "" };
                format!("{:.2}{label}", ours / this)
            }
            _ => "—".to_owned(),
        };
        let target = if row.ours { format!("**{}**", row.target) } else { row.target.clone() };
        let errors = match (row.errors, row.ops_per_s) {
            (Some(n), _) => n.to_string(),
            (None, None) => "failed".to_owned(),
            (None, Some(_)) => "n/a".to_owned(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.workload,
            target,
            row.ops_per_s.map_or("—".to_owned(), thousands),
            decimal(row.p50_us, 1),
            decimal(row.p99_us, 1),
            decimal(row.cpu_ns_per_op, 0),
            errors,
            ratio
        ));
    }
    out
}

/// `1234567.8` as `1,234,568`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn decimal(value: Option<f64>, places: usize) -> String {
    value.map_or("—".to_owned(), |v| format!("{v:.places$}"))
}
