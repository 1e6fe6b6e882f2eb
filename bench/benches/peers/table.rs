//! The comparison's rows and how they print as a Markdown table.

use memkit_bench::Report;

/// One measured (or failed) target under one workload.
#[derive(Clone)]
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
    /// The server's CPU per operation in nanoseconds, approximate (see `ServerCpu`).
    pub(crate) server_cpu_ns_per_op: Option<f64>,
    /// Wrong values, misses and failures; `None` where the target does not verify.
    pub(crate) errors: Option<u64>,
    /// The first error, or why the run failed, for the notes under the table.
    pub(crate) note: Option<String>,
    /// The lowest and highest throughput over the rounds, when there was more than one.
    pub(crate) range: Option<(f64, f64)>,
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
            server_cpu_ns_per_op: None,
            errors: Some(report.errors()),
            note: report.first_error.clone(),
            range: None,
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
            server_cpu_ns_per_op: None,
            errors: None,
            note: Some(format!("run failed: {error}")),
            range: None,
        }
    }

    /// One row for the same target measured in several rounds: the means, the errors summed, the throughput's
    /// range kept. A round that failed fails the row (a mean over the rounds that worked would hide it).
    pub(crate) fn mean(rounds: &[Row]) -> Row {
        let first = &rounds[0];
        if rounds.len() == 1 {
            return first.clone();
        }
        if let Some((i, failed)) = rounds.iter().enumerate().find(|(_, r)| r.ops_per_s.is_none()) {
            let mut row = failed.clone();
            row.note = row.note.map(|note| format!("round {}: {note}", i + 1));
            return row;
        }
        let mean = |field: fn(&Row) -> Option<f64>| -> Option<f64> {
            let values: Option<Vec<f64>> = rounds.iter().map(field).collect();
            values.map(|v| v.iter().sum::<f64>() / v.len() as f64)
        };
        let ops = rounds.iter().filter_map(|r| r.ops_per_s);
        let range = ops.clone().fold((f64::INFINITY, 0.0_f64), |(lo, hi), o| (lo.min(o), hi.max(o)));
        Row {
            workload: first.workload.clone(),
            target: first.target.clone(),
            ours: first.ours,
            probe: first.probe,
            ops_per_s: mean(|r| r.ops_per_s),
            p50_us: mean(|r| r.p50_us),
            p99_us: mean(|r| r.p99_us),
            cpu_ns_per_op: mean(|r| r.cpu_ns_per_op),
            server_cpu_ns_per_op: mean(|r| r.server_cpu_ns_per_op),
            errors: rounds.iter().map(|r| r.errors).sum(),
            note: rounds.iter().find_map(|r| r.note.clone()),
            range: Some(range),
        }
    }

    /// Whether the row counts as bad: a failed run or any error.
    pub(crate) fn is_bad(&self) -> bool {
        self.ops_per_s.is_none() || self.errors.is_some_and(|e| e > 0)
    }
}

/// The Markdown table of `rows` (in run order), with each row's throughput ratio to our row of the same workload.
/// Rows averaged over rounds add the range of their throughput.
pub(crate) fn render(rows: &[Row]) -> String {
    let rounds = rows.iter().any(|r| r.range.is_some());
    let mut out = String::from("| workload | target | ops/s (keys/s for mget) |");
    if rounds {
        out.push_str(" min–max over rounds |");
    }
    out.push_str(" p50 µs | p99 µs | CPU ns/op | server CPU ns/op ≈ | errors | ours ÷ this |\n|---|---|---:|");
    if rounds {
        out.push_str("---:|");
    }
    out.push_str("---:|---:|---:|---:|---:|---:|\n");
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
        let range = match row.range {
            Some((lo, hi)) => format!(" {} – {} |", thousands(lo), thousands(hi)),
            None if rounds => " — |".to_owned(),
            None => String::new(),
        };
        out.push_str(&format!(
            "| {} | {} | {} |{range} {} | {} | {} | {} | {} | {} |\n",
            row.workload,
            target,
            row.ops_per_s.map_or("—".to_owned(), thousands),
            decimal(row.p50_us, 1),
            decimal(row.p99_us, 1),
            decimal(row.cpu_ns_per_op, 0),
            decimal(row.server_cpu_ns_per_op, 0),
            errors,
            ratio
        ));
    }
    out
}

/// `1234567.8` as `1,234,568`.
pub(crate) fn thousands(value: f64) -> String {
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

pub(crate) fn decimal(value: Option<f64>, places: usize) -> String {
    value.map_or("—".to_owned(), |v| format!("{v:.places$}"))
}
