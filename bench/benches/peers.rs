//! Side-by-side comparison against one real memcached started for the run: this crate's client, the peer crates
//! (`memcache`, `async-memcached`, `memcache-async`), libmemcached's `memcaslap`, the raw pipelined probe (the
//! wire's ceiling) and the tokio fan-out probe (the runtime's baseline for a connection shared among tasks, see
//! `peers/fanout.rs`). Every row also shows the server's CPU per operation. The async targets run on both tokio
//! runtime flavours, a current-thread runtime and a multi-threaded one; the others use no tokio runtime and run
//! once. Within each workload the targets, and each async target's two flavours, run one after another, so they
//! all see the same server and machine. The report has a table per flavour and a table of the project's
//! performance targets.
//!
//! Run: `cargo bench -p memkit-bench --bench peers -- [--secs S] [--quick] [--only ours,fanout,...]
//! [--flavours current,multi] [--workers N] [--rounds R] [--server-threads N] [--write PATH]`

// A crate root's modules resolve beside it, so the files under `peers/` are named by path.
#[path = "peers/async_memcached.rs"]
mod async_memcached;
#[path = "peers/fanout.rs"]
mod fanout;
#[path = "peers/flavour.rs"]
mod flavour;
#[path = "peers/memcache_async.rs"]
mod memcache_async;
#[path = "peers/memcache_sync.rs"]
mod memcache_sync;
#[path = "peers/memcaslap.rs"]
mod memcaslap;
#[path = "peers/table.rs"]
mod table;
#[path = "peers/targets.rs"]
mod targets;

use std::process::{Command, ExitCode};
use std::time::Duration;

use memkit_bench::probe::{self, ProbeKind};
use memkit_bench::{
    KeySpace, Target, Workload, WorkloadKind, ours::Ours, populate, process_cpu_time, run, run_blocking,
};
use memkit_testkit::Memcached;
use tokio::runtime::Runtime;

use crate::flavour::Flavour;
use crate::table::Row;
use crate::targets::Placed;

/// Every target the comparison knows, by the name `--only` takes.
const TARGETS: [&str; 7] = ["ours", "memcache", "async-memcached", "memcache-async", "memcaslap", "probe", "fanout"];

/// The workloads, each run with every value size.
const KINDS: [(WorkloadKind, usize); 5] = [
    (WorkloadKind::Get, 1),
    (WorkloadKind::Get, 64),
    (WorkloadKind::Set, 64),
    (WorkloadKind::MultiGet, 8),
    (WorkloadKind::Mixed, 64),
];

/// (value size, keys in the key space).
const SIZES: [(usize, usize); 2] = [(100, 10_000), (10 * 1024, 2_000)];

const USAGE: &str = "usage: peers [--secs S] [--quick] [--only NAME[,NAME...]] [--workloads W[,W...]] \
                     [--flavours current,multi] [--workers N] [--rounds R] [--server-threads N] [--write PATH]\n  \
                     targets: ours, memcache, async-memcached, memcache-async, memcaslap, probe, fanout\n  \
                     --workloads: the rows to run, as in the tables (`get c=1`, `mget c=8 v=100B`, ...): a row runs \
                     if its description starts with one of them (default all)\n  \
                     --flavours: the tokio runtimes the async targets run on (default both); --workers: the \
                     multi-threaded runtime's worker threads (default 2)\n  \
                     --runtime-threads N: the older single-runtime form, 0 for `--flavours current`, N for \
                     `--flavours multi --workers N`";

/// The command line.
struct Options {
    /// Measured seconds per row.
    secs: f64,
    /// Unmeasured seconds before each row.
    warmup: f64,
    /// The targets to run.
    only: Vec<String>,
    /// The workloads to run, as prefixes of their descriptions; empty for all.
    workloads: Vec<String>,
    /// memcached's `-t`.
    server_threads: usize,
    /// The runtimes the async targets run on, in run order.
    flavours: Vec<Flavour>,
    /// Worker threads of the multi-threaded runtime.
    workers: usize,
    /// Times the whole matrix runs; the tables show means.
    rounds: usize,
    /// Where to write the Markdown as well.
    write: Option<String>,
    /// The arguments as given, for the report's header.
    args: Vec<String>,
}

impl Options {
    fn parse() -> Result<Self, String> {
        // `cargo bench` appends `--bench` to a harness-less bench's arguments.
        let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
        let mut options = Self {
            secs: 5.0,
            warmup: 1.0,
            only: TARGETS.iter().map(|t| (*t).to_owned()).collect(),
            workloads: Vec::new(),
            server_threads: 4,
            flavours: Flavour::ALL.to_vec(),
            workers: 2,
            rounds: 1,
            write: None,
            args: args.clone(),
        };
        let mut rest = args.into_iter();
        while let Some(arg) = rest.next() {
            let mut value = || rest.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
            let number = |v: String| v.parse::<f64>().map_err(|e| format!("{arg} {v}: {e}"));
            let count = |v: String| v.parse::<usize>().map_err(|e| format!("{arg} {v}: {e}"));
            match arg.as_str() {
                "--secs" => options.secs = number(value()?)?,
                "--quick" => (options.secs, options.warmup) = (1.0, 0.5),
                "--server-threads" => options.server_threads = count(value()?)?,
                "--workers" => options.workers = count(value()?)?,
                "--rounds" => options.rounds = count(value()?)?,
                "--runtime-threads" => match count(value()?)? {
                    0 => options.flavours = vec![Flavour::Current],
                    n => (options.flavours, options.workers) = (vec![Flavour::Multi], n),
                },
                "--flavours" => {
                    let mut flavours = Vec::new();
                    for name in value()?.split(',') {
                        let flavour = Flavour::parse(name).map_err(|e| format!("{e}\n{USAGE}"))?;
                        if !flavours.contains(&flavour) {
                            flavours.push(flavour);
                        }
                    }
                    // Run order is fixed (current first), whatever order they were named in.
                    options.flavours = Flavour::ALL.into_iter().filter(|f| flavours.contains(f)).collect();
                }
                "--write" => options.write = Some(value()?),
                "--workloads" => options.workloads = value()?.split(',').map(|w| w.trim().to_owned()).collect(),
                "--only" => {
                    options.only = value()?.split(',').map(str::to_owned).collect();
                    if let Some(unknown) = options.only.iter().find(|t| !TARGETS.contains(&t.as_str())) {
                        return Err(format!("unknown target {unknown:?}\n{USAGE}"));
                    }
                }
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        if options.secs <= 0.0 || options.server_threads == 0 || options.workers == 0 || options.rounds == 0 {
            return Err(format!("--secs, --server-threads, --workers and --rounds must be positive\n{USAGE}"));
        }
        Ok(options)
    }

    fn wants(&self, target: &str) -> bool {
        self.only.iter().any(|t| t == target)
    }
}

/// Every round's row of one target under one workload on one runtime (`None`: a target using no runtime).
struct Series {
    flavour: Option<Flavour>,
    rounds: Vec<Row>,
}

/// The server's CPU time, read from `/proc/PID/stat` around each row, so every row shows what it cost the server
/// too (a workload bound by the server is bound for every target alike).
///
/// Approximate: the time between two readings covers the row's warm-up and its key space's population as well as
/// the measured seconds, so it is divided by the operations of the warm-up and the measured seconds together
/// (throughput × both). The kernel counts in ticks of 10 ms, under 1% of a row's several seconds.
struct ServerCpu {
    pid: u32,
    /// Warm-up plus measured seconds of every row.
    window: f64,
    /// The reading at the end of the last row (or the start of the workload).
    mark: Option<Duration>,
}

impl ServerCpu {
    fn read(&self) -> Option<Duration> {
        process_cpu_time(self.pid)
    }

    /// Starts a workload's first row.
    fn mark(&mut self) {
        self.mark = self.read();
    }

    /// The server's CPU per operation since the last mark, for a row of `ops_per_s`; marks again.
    fn per_op(&mut self, ops_per_s: Option<f64>) -> Option<f64> {
        let now = self.read();
        let spent = now?.checked_sub(std::mem::replace(&mut self.mark, now)?)?;
        let ops = ops_per_s? * self.window;
        (ops > 0.0).then(|| spent.as_nanos() as f64 / ops)
    }
}

/// The rows measured so far, grouped by target so the rounds can be averaged; in first-run order.
struct Results {
    series: Vec<Series>,
    round: usize,
    rounds: usize,
    server: ServerCpu,
}

impl Results {
    fn push(&mut self, flavour: Option<Flavour>, mut row: Row) {
        row.server_cpu_ns_per_op = self.server.per_op(row.ops_per_s);
        eprintln!(
            "{}/{} {:<8} {:<32} {:<44} {}",
            self.round + 1,
            self.rounds,
            flavour.map_or("-", Flavour::short),
            row.workload,
            row.target,
            row.ops_per_s.map_or(0.0, |o| o.round())
        );
        let same = |s: &&mut Series| {
            s.flavour == flavour && s.rounds[0].workload == row.workload && s.rounds[0].target == row.target
        };
        match self.series.iter_mut().find(same) {
            Some(series) => series.rounds.push(row),
            None => self.series.push(Series { flavour, rounds: vec![row] }),
        }
    }

    /// The rows to print: each series' mean over its rounds.
    fn rows(&self) -> Vec<Placed> {
        self.series.iter().map(|s| (s.flavour, Row::mean(&s.rounds))).collect()
    }
}

fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let server_threads = options.server_threads.to_string();
    let server = Memcached::start_with(&["-m", "1024", "-t", &server_threads]);
    let addr = server.addr();
    let runtimes: Vec<(Flavour, Runtime)> = options
        .flavours
        .iter()
        .map(|&flavour| (flavour, flavour.runtime(options.workers).expect("tokio runtime")))
        .collect();
    let slap = options.wants("memcaslap") && memcaslap::available();
    let server_cpu = ServerCpu { pid: server.pid(), window: options.warmup + options.secs, mark: None };
    let mut results = Results { series: Vec::new(), round: 0, rounds: options.rounds, server: server_cpu };
    let mut notes: Vec<String> = Vec::new();
    let mut note = |text: String| {
        if !notes.contains(&text) {
            notes.push(text);
        }
    };
    if options.wants("memcaslap") && !slap {
        eprintln!("memcaslap not found (Debian package libmemcached-tools): its rows are skipped");
        note("memcaslap was not installed, so its rows are missing".to_owned());
    }
    for round in 0..options.rounds {
        results.round = round;
        for (value_size, keys) in SIZES {
            for (kind, concurrency) in KINDS {
                let workload = Workload {
                    kind,
                    concurrency,
                    value_size,
                    keys,
                    batch: 100,
                    warmup: Duration::from_secs_f64(options.warmup),
                    duration: Duration::from_secs_f64(options.secs),
                    ..Workload::default()
                };
                let label = workload.describe();
                if !options.workloads.is_empty() && !options.workloads.iter().any(|w| label.starts_with(w.as_str())) {
                    continue;
                }
                results.server.mark();
                // An async target's rows on the two runtimes run back to back.
                let each_runtime = |results: &mut Results, ours: bool, run_on: &dyn Fn(&Runtime) -> Row| {
                    for (flavour, rt) in &runtimes {
                        let mut row = run_on(rt);
                        row.ours = ours;
                        results.push(Some(*flavour), row);
                    }
                };
                if options.wants("ours") {
                    // The client is made inside the runtime it is measured on: its connection tasks are spawned on
                    // first use, on the runtime of that first caller.
                    let ours = |connections: usize| {
                        let (workload, addr) = (&workload, &addr);
                        move |rt: &Runtime| {
                            async_row(rt, workload, || Ours::connect(addr, connections).expect("our client"))
                        }
                    };
                    each_runtime(&mut results, true, &ours(1));
                    // A 100-key batch keeps one memcached worker thread busy; spreading batches over connections
                    // lets the server use its other threads (single-key requests are fastest on one connection).
                    if kind == WorkloadKind::MultiGet {
                        each_runtime(&mut results, true, &ours(4));
                    }
                }
                if options.wants("memcache") {
                    let row = match memcache_sync::MemcacheSync::new(&addr) {
                        Ok(target) => run_blocking(&target, &workload).map(|r| Row::from_report(&r, false)),
                        Err(e) => Err(e),
                    };
                    results.push(
                        None,
                        row.unwrap_or_else(|e| Row::failed(label.clone(), "memcache 0.21".into(), false, e)),
                    );
                }
                if options.wants("async-memcached") {
                    each_runtime(&mut results, false, &|rt| {
                        async_row(rt, &workload, || async_memcached::AsyncMemcached::new(&addr))
                    });
                }
                if options.wants("memcache-async") {
                    each_runtime(&mut results, false, &|rt| {
                        async_row(rt, &workload, || memcache_async::MemcacheAsync::new(&addr))
                    });
                }
                if slap && concurrency == 64 && matches!(kind, WorkloadKind::Get | WorkloadKind::Mixed) {
                    let set_share = if kind == WorkloadKind::Get { 0.01 } else { 0.1 };
                    let key_len = KeySpace::new(keys, value_size).key(keys - 1).len(); // the longest of ours
                    let target = format!("memcaslap ({:.0}% set)", set_share * 100.0);
                    let duration = workload.warmup + workload.duration;
                    let row = match memcaslap::run(&addr, concurrency, key_len, value_size, set_share, duration) {
                        Ok(report) => {
                            note(format!("{label}, {target}: `{}` with CFG `{}`", report.command, report.config));
                            if report.get_misses > 0 {
                                note(format!("{label}, {target}: {} get misses", report.get_misses));
                            }
                            Row {
                                workload: label.clone(),
                                target,
                                ours: false,
                                probe: false,
                                ops_per_s: Some(report.tps),
                                p50_us: None,
                                p99_us: None,
                                cpu_ns_per_op: Some(report.cpu_ns_per_op),
                                server_cpu_ns_per_op: None,
                                errors: None,
                                note: None,
                                range: None,
                            }
                        }
                        Err(e) => Row::failed(label.clone(), target, false, e),
                    };
                    results.push(None, row);
                }
                if options.wants("fanout") && matches!(kind, WorkloadKind::Get | WorkloadKind::Set) {
                    // The runtime's baseline: a reference like the probe, so never "the best peer".
                    for (flavour, rt) in &runtimes {
                        let mut row = async_row(rt, &workload, || fanout::Fanout::new(&addr));
                        row.probe = true;
                        results.push(Some(*flavour), row);
                    }
                }
                if options.wants("probe") {
                    // The probe is plain threads; a runtime only populates the key space.
                    probe_rows(&runtimes[0].1, &addr, &workload, |row| results.push(None, row));
                }
            }
        }
    }
    drop(server);
    let rows = results.rows();
    let markdown = document(&options, &rows, &notes);
    print!("{markdown}");
    if let Some(path) = &options.write
        && let Err(e) = std::fs::write(path, &markdown)
    {
        eprintln!("writing {path}: {e}");
        return ExitCode::FAILURE;
    }
    let bad = rows.iter().filter(|(_, r)| r.is_bad()).count();
    if bad > 0 {
        eprintln!("{bad} row(s) failed or counted errors");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Runs an async target, made by `make` inside `rt`; a run that fails becomes a failed row.
fn async_row<T: Target>(rt: &Runtime, workload: &Workload, make: impl FnOnce() -> T) -> Row {
    rt.block_on(async {
        let target = make();
        match run(&target, workload).await {
            Ok(report) => Row::from_report(&report, false),
            Err(e) => Row::failed(workload.describe(), target.name(), false, e),
        }
    })
}
/// The probe rows that bound `workload`: the same number of requests in flight as the workload keeps outstanding
/// (all of a multi-get's keys), with plain `get` and with meta `mg` for reads, meta `ms` for sets; none for mixed.
/// Each row is handed to `push` as soon as its probe has run, so the server CPU read around it is its own.
fn probe_rows(rt: &Runtime, addr: &str, workload: &Workload, mut push: impl FnMut(Row)) {
    let in_flight = workload.concurrency * if workload.kind == WorkloadKind::MultiGet { workload.batch } else { 1 };
    let kinds: &[ProbeKind] = match workload.kind {
        WorkloadKind::Get => &[ProbeKind::Get, ProbeKind::MetaGet],
        WorkloadKind::Set => &[ProbeKind::MetaSet],
        WorkloadKind::MultiGet => &[ProbeKind::MetaGet],
        WorkloadKind::Mixed => &[],
    };
    if kinds.is_empty() {
        return;
    }
    let space = KeySpace::new(workload.keys, workload.value_size);
    let populated = rt.block_on(async { populate(&mut Ours::connect(addr, 1)?.session().await?, &space).await });
    for &kind in kinds {
        push({
            let command = match kind {
                ProbeKind::Get => "get",
                ProbeKind::MetaGet => "mg",
                ProbeKind::MetaSet => "ms",
            };
            let target = format!("raw probe `{command}` ×{in_flight} pipelined");
            let result = populated
                .clone()
                .and_then(|()| probe::run(addr, kind, &space, in_flight, workload.warmup, workload.duration));
            match result {
                Ok(report) => Row {
                    workload: workload.describe(),
                    target,
                    ours: false,
                    probe: true,
                    ops_per_s: Some(report.replies_per_s),
                    p50_us: None,
                    p99_us: None,
                    cpu_ns_per_op: Some(report.cpu_ns_per_op),
                    server_cpu_ns_per_op: None,
                    errors: Some(report.wrong),
                    note: None,
                    range: None,
                },
                Err(e) => Row::failed(workload.describe(), target, false, e),
            }
        });
    }
}

/// The header (machine, server, runtimes, date, command), a table per runtime, the targets table and the notes.
fn document(options: &Options, rows: &[Placed], notes: &[String]) -> String {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| Some(l.strip_prefix("model name")?.split_once(':')?.1.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let memcached = std::env::var("MEMCACHED_BIN").unwrap_or_else(|_| "memcached".to_owned());
    let runtime = options.flavours.iter().map(|f| format!("tokio {}", f.title(options.workers))).collect::<Vec<_>>();
    let mut command = String::from("cargo bench -p memkit-bench --bench peers --");
    for arg in &options.args {
        command.push(' ');
        command.push_str(arg);
    }
    let rounds = match options.rounds {
        1 => String::new(),
        n => format!("; the whole matrix ran {n} times, one round after another, and the tables show means"),
    };
    let mut out = format!(
        "## Peer comparison\n\n\
         - machine: {} cores (`nproc`), {cpu_model}\n\
         - server: {}, `-m 1024 -t {}`, on loopback, shared with the clients\n\
         - runtime: the async targets (ours, async-memcached, memcache-async) run on each of: {}\n\
         - clients: `memcache` on one OS thread per connection; memcaslap and the probe on their own threads\n\
         - each row: {} s warm-up, then {} s measured; within a workload the targets run one after another, each \
         async target on its runtimes back to back{rounds}\n\
         - date: {}\n\
         - command: `{command}`\n\n",
        shell("nproc", &[]),
        shell(&memcached, &["-V"]),
        options.server_threads,
        runtime.join(", "),
        options.warmup,
        options.secs,
        shell("date", &["-u"]),
    );
    for &flavour in &options.flavours {
        let table: Vec<Row> =
            rows.iter().filter(|(f, _)| f.is_none_or(|f| f == flavour)).map(|(_, r)| r.clone()).collect();
        out.push_str(&format!("### {}\n\n", flavour.title(options.workers)));
        out.push_str(&table::render(&table));
        out.push('\n');
    }
    out.push_str("### targets\n\n");
    out.push_str(&targets::render(rows));
    out.push_str(
        "\nNotes:\n\n\
         - `memcache` (sync, its own OS threads), memcaslap and the raw probe use no tokio runtime: each runs once \
         per workload and its row appears in both runtime tables.\n\
         - ops/s counts keys for mget. Errors are wrong values, misses and failures; every value read is checked \
         against the key space. The probe counts wrong values only; memcaslap checks nothing (n/a).\n\
         - CPU ns/op is the client process's CPU time (all threads) per operation. Server CPU ns/op ≈ is memcached's \
         CPU time (all its threads) between the end of the previous row and the end of this one, divided by the \
         row's throughput times its warm-up and measured seconds: approximate (it includes populating the key \
         space), but the same for every target.\n\
         - memcache-async can only `set` with `noreply`; its session confirms each set with a `version` round trip \
         (two commands, one round trip per set).\n\
         - memcaslap cannot run get-only (with no sets it issues nothing), so its get row is 99% get / 1% set; its \
         latency is not reported.\n\
         - targets: \"best peer\" is the fastest of the peer crates and memcaslap (never the probe) on the runtime \
         named, or on either runtime where the target names none; ours is our best configuration the same way \
         (connections, and runtime where none is named). The 10 KiB target takes the faster probe row (`get` or \
         `mg`). A target whose rows were not run says n/a.\n",
    );
    for note in notes {
        out.push_str(&format!("- {note}\n"));
    }
    for (flavour, row) in rows {
        if let Some(note) = &row.note {
            let on = flavour.map_or(String::new(), |f| format!(" ({})", f.short()));
            out.push_str(&format!("- {}, {}{on}: {note}\n", row.workload, row.target));
        }
    }
    out
}

/// One line of a command's output, or `?` when it cannot run.
fn shell(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".to_owned())
}
