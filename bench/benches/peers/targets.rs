//! The project's performance targets, checked against one run's rows (ratios within one run only).

use memkit_bench::{Workload, WorkloadKind};

use crate::flavour::Flavour;
use crate::table::{Row, decimal, thousands};

/// A row of the final tables with the runtime it ran on; `None` for targets that use no tokio runtime (they
/// appear in both tables).
pub(crate) type Placed = (Option<Flavour>, Row);

/// Which rows a lookup considers.
#[derive(Clone, Copy)]
enum On {
    /// Rows of this runtime, and the rows that use no runtime.
    Runtime(Flavour),
    /// Every row.
    Any,
}

impl On {
    fn admits(self, flavour: Option<Flavour>) -> bool {
        match (self, flavour) {
            (On::Runtime(want), Some(ran)) => want == ran,
            _ => true,
        }
    }
}

/// Lookups over the run's rows, by workload label.
struct Workloads<'a> {
    rows: &'a [Placed],
}

impl<'a> Workloads<'a> {
    fn matching(
        &self,
        label: &'a str,
        on: On,
        keep: impl Fn(&Row) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Placed> + 'a {
        self.rows.iter().filter(move |(f, r)| r.workload == label && on.admits(*f) && r.ops_per_s.is_some() && keep(r))
    }

    /// Our best throughput (over our configurations, and runtimes when `on` is `Any`).
    fn ours(&self, label: &'a str, on: On) -> Option<&'a Placed> {
        self.matching(label, on, |r| r.ours).max_by(|a, b| ops(a).total_cmp(&ops(b)))
    }

    /// The best peer's throughput: the peer crates and memcaslap, never the probe.
    fn peer(&self, label: &'a str, on: On) -> Option<&'a Placed> {
        self.matching(label, on, |r| !r.ours && !r.probe).max_by(|a, b| ops(a).total_cmp(&ops(b)))
    }

    /// The best raw probe row; `mg_only` takes only the meta-get probe.
    fn probe(&self, label: &'a str, mg_only: bool) -> Option<&'a Placed> {
        self.matching(label, On::Any, move |r| r.probe && is_raw_probe(r) && (!mg_only || r.target.contains("`mg`")))
            .max_by(|a, b| ops(a).total_cmp(&ops(b)))
    }

    /// The lowest median latency among `ours` (or among the peers).
    fn fastest_p50(&self, label: &'a str, ours: bool) -> Option<&'a Placed> {
        self.matching(label, On::Any, move |r| r.ours == ours && !r.probe && r.p50_us.is_some())
            .min_by(|a, b| p50(a).total_cmp(&p50(b)))
    }
}

/// The raw probe's rows (the other reference row, the tokio fan-out probe, is not the wire's ceiling).
fn is_raw_probe(row: &Row) -> bool {
    row.target.starts_with("raw probe")
}

/// The tokio fan-out probe's rows.
fn is_fanout(row: &Row) -> bool {
    row.target.starts_with("tokio fan-out probe")
}

fn ops(placed: &Placed) -> f64 {
    placed.1.ops_per_s.unwrap_or(0.0)
}

fn p50(placed: &Placed) -> f64 {
    placed.1.p50_us.unwrap_or(f64::INFINITY)
}

fn cpu(placed: &Placed) -> Option<f64> {
    placed.1.cpu_ns_per_op
}

fn label(kind: WorkloadKind, concurrency: usize, value_size: usize) -> String {
    Workload { kind, concurrency, value_size, ..Workload::default() }.describe()
}

/// `memcache-client (1 conn/server), multi`: a row's target and where it ran.
fn who(placed: &Placed) -> String {
    match placed.0 {
        Some(flavour) => format!("{}, {}", placed.1.target, flavour.short()),
        None => placed.1.target.clone(),
    }
}

/// One target: its two figures, their ratio and the bound.
struct Check {
    what: &'static str,
    /// The two figures compared, as text, when both were measured.
    measured: Option<String>,
    ratio: Option<f64>,
    /// At least (`true`) or at most the bound.
    at_least: bool,
    bound: f64,
}

impl Check {
    fn new(what: &'static str, at_least: bool, bound: f64) -> Self {
        Self { what, measured: None, ratio: None, at_least, bound }
    }

    /// Compares `a` with `b` through `figure` (throughput, CPU or latency), formatted by `show`.
    fn compare(
        mut self,
        a: Option<&Placed>,
        b: Option<&Placed>,
        figure: fn(&Placed) -> Option<f64>,
        show: fn(f64) -> String,
    ) -> Self {
        if let (Some(a), Some(b)) = (a, b)
            && let (Some(x), Some(y)) = (figure(a), figure(b))
            && y > 0.0
        {
            self.measured = Some(format!("{} ({}) ÷ {} ({})", show(x), who(a), show(y), who(b)));
            self.ratio = Some(x / y);
        }
        self
    }
}

/// A check's ratio to two decimals, or three where two would round it onto the other side of the bound (0.795
/// is not 0.80 when the bound is 0.80).
fn shown_ratio(check: &Check) -> String {
    let Some(ratio) = check.ratio else { return "n/a".to_owned() };
    let two: f64 = format!("{ratio:.2}").parse().unwrap_or(ratio);
    let met = |r: f64| if check.at_least { r >= check.bound } else { r <= check.bound };
    decimal(Some(ratio), if met(two) == met(ratio) { 2 } else { 3 })
}

/// The targets table: one row per target, "n/a" where a figure is missing from the run.
pub(crate) fn render(rows: &[Placed]) -> String {
    let w = Workloads { rows };
    let get64 = label(WorkloadKind::Get, 64, 100);
    let get64_10k = label(WorkloadKind::Get, 64, 10 * 1024);
    let mget = label(WorkloadKind::MultiGet, 8, 100);
    let get1 = label(WorkloadKind::Get, 1, 100);
    let multi = On::Runtime(Flavour::Multi);
    let current = On::Runtime(Flavour::Current);
    let throughput = |p: &Placed| p.1.ops_per_s;
    let per_s = |v: f64| format!("{}/s", thousands(v));
    let checks = [
        Check::new("get ×64, multi-thread ÷ current-thread (ours)", true, 0.8).compare(
            w.ours(&get64, multi),
            w.ours(&get64, current),
            throughput,
            per_s,
        ),
        Check::new("get ×64 on multi-thread, ours ÷ best peer", true, 3.0).compare(
            w.ours(&get64, multi),
            w.peer(&get64, multi),
            throughput,
            per_s,
        ),
        Check::new("get ×64 CPU/op, multi-thread ÷ current-thread (ours)", false, 1.3).compare(
            w.ours(&get64, multi),
            w.ours(&get64, current),
            cpu,
            |v| format!("{v:.0} ns"),
        ),
        Check::new("get ×64 on current-thread, ours ÷ raw `mg` probe", true, 0.85).compare(
            w.ours(&get64, current),
            w.probe(&get64, true),
            throughput,
            per_s,
        ),
        Check::new("mget c=8 batch=100 keys/s, ours ÷ best peer", true, 1.2).compare(
            w.ours(&mget, On::Any),
            w.peer(&mget, On::Any),
            throughput,
            per_s,
        ),
        Check::new("10 KiB get ×64, ours ÷ best raw probe", true, 0.85).compare(
            w.ours(&get64_10k, On::Any),
            w.probe(&get64_10k, false),
            throughput,
            per_s,
        ),
        Check::new("get c=1 p50, ours ÷ best peer", false, 1.0).compare(
            w.fastest_p50(&get1, true),
            w.fastest_p50(&get1, false),
            |p| p.1.p50_us,
            |v| format!("{v:.1} µs"),
        ),
    ];
    let fanout = |label: &'_ str, on: On| {
        w.rows.iter().find(|(f, r)| r.workload == label && on.admits(*f) && r.ops_per_s.is_some() && is_fanout(r))
    };
    let mut out = String::from("| target | measured | ratio | threshold | result |\n|---|---|---:|---:|---|\n");
    for check in checks {
        let result = match check.ratio {
            Some(r) if (check.at_least && r >= check.bound) || (!check.at_least && r <= check.bound) => "met",
            Some(_) => "NOT met",
            None => "n/a",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} {:.2} | {result} |\n",
            check.what,
            check.measured.as_deref().unwrap_or("n/a"),
            shown_ratio(&check),
            if check.at_least { "≥" } else { "≤" },
            check.bound,
        ));
    }
    // The runtime and latency targets again for the tokio fan-out probe: what tokio leaves any client that shares
    // a connection between tasks. No threshold: they are the references those targets are read against.
    let references = [
        Check::new("reference: get ×64, multi-thread ÷ current-thread (tokio fan-out probe)", true, 0.8).compare(
            fanout(&get64, multi),
            fanout(&get64, current),
            throughput,
            per_s,
        ),
        Check::new("reference: get ×64 CPU/op, multi-thread ÷ current-thread (tokio fan-out probe)", false, 1.3)
            .compare(fanout(&get64, multi), fanout(&get64, current), cpu, |v| format!("{v:.0} ns")),
        Check::new("reference: get c=1 p50, tokio fan-out probe ÷ best peer", false, 1.0).compare(
            w.matching(&get1, On::Any, is_fanout).min_by(|a, b| p50(a).total_cmp(&p50(b))),
            w.fastest_p50(&get1, false),
            |p| p.1.p50_us,
            |v| format!("{v:.1} µs"),
        ),
    ];
    for check in references.into_iter().filter(|c| c.ratio.is_some()) {
        out.push_str(&format!(
            "| {} | {} | {} | (reference) | — |\n",
            check.what,
            check.measured.as_deref().unwrap_or("n/a"),
            decimal(check.ratio, 2),
        ));
    }
    out
}
