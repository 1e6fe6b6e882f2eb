//! Side-by-side comparison against one real memcached started for the run: this crate's client, the peer crates
//! (`memcache`, `async-memcached`, `memcache-async`), libmemcached's `memcaslap`, and the raw pipelined probe (the
//! ceiling). Within each workload the targets run one after another, so they all see the same server and machine.
//!
//! Run: `cargo bench -p memkit-bench --bench peers -- [--secs S] [--quick] [--only ours,memcache,...]
//! [--server-threads N] [--runtime-threads N] [--write PATH]`

// A crate root's modules resolve beside it, so the files under `peers/` are named by path.
#[path = "peers/async_memcached.rs"]
mod async_memcached;
#[path = "peers/memcache_async.rs"]
mod memcache_async;
#[path = "peers/memcache_sync.rs"]
mod memcache_sync;
#[path = "peers/memcaslap.rs"]
mod memcaslap;
#[path = "peers/table.rs"]
mod table;

use std::process::{Command, ExitCode};
use std::time::Duration;

use memkit_bench::probe::{self, ProbeKind};
use memkit_bench::{KeySpace, Target, Workload, WorkloadKind, ours::Ours, populate, run, run_blocking};
use memkit_testkit::Memcached;

use crate::table::Row;

/// Every target the comparison knows, by the name `--only` takes.
const TARGETS: [&str; 6] = ["ours", "memcache", "async-memcached", "memcache-async", "memcaslap", "probe"];

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

const USAGE: &str = "usage: peers [--secs S] [--quick] [--only NAME[,NAME...]] [--server-threads N] \
                     [--runtime-threads N] [--write PATH]\n  targets: ours, memcache, async-memcached, \
                     memcache-async, memcaslap, probe";

/// The command line.
struct Options {
    /// Measured seconds per row.
    secs: f64,
    /// Unmeasured seconds before each row.
    warmup: f64,
    /// The targets to run.
    only: Vec<String>,
    /// memcached's `-t`.
    server_threads: usize,
    /// Tokio worker threads for the async targets; 0 is the current-thread runtime.
    runtime_threads: usize,
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
            server_threads: 4,
            runtime_threads: 0,
            write: None,
            args: args.clone(),
        };
        let mut rest = args.into_iter();
        while let Some(arg) = rest.next() {
            let mut value = || rest.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
            let number = |v: String| v.parse::<f64>().map_err(|e| format!("{arg} {v}: {e}"));
            match arg.as_str() {
                "--secs" => options.secs = number(value()?)?,
                "--quick" => (options.secs, options.warmup) = (1.0, 0.5),
                "--server-threads" => options.server_threads = number(value()?)? as usize,
                "--runtime-threads" => options.runtime_threads = number(value()?)? as usize,
                "--write" => options.write = Some(value()?),
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
        if options.secs <= 0.0 || options.server_threads == 0 {
            return Err(format!("--secs and --server-threads must be positive\n{USAGE}"));
        }
        Ok(options)
    }

    fn wants(&self, target: &str) -> bool {
        self.only.iter().any(|t| t == target)
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
    let rt = if options.runtime_threads == 0 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(options.runtime_threads).enable_all().build()
    }
    .expect("tokio runtime");
    let slap = options.wants("memcaslap") && memcaslap::available();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    if options.wants("memcaslap") && !slap {
        eprintln!("memcaslap not found (Debian package libmemcached-tools): its rows are skipped");
        notes.push("memcaslap was not installed, so its rows are missing".to_owned());
    }
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
            let mut push = |row: Row| {
                eprintln!("{:<32} {:<44} {}", row.workload, row.target, row.ops_per_s.map_or(0.0, |o| o.round()));
                rows.push(row);
            };
            if options.wants("ours") {
                let target = Ours::connect(&addr, 1).expect("our client");
                push(async_row(&rt, &target, &workload, true));
                // A 100-key batch keeps one memcached worker thread busy; spreading batches over connections
                // lets the server use its other threads (single-key requests are fastest on one connection).
                if kind == WorkloadKind::MultiGet {
                    let target = Ours::connect(&addr, 4).expect("our client");
                    push(async_row(&rt, &target, &workload, true));
                }
            }
            if options.wants("memcache") {
                let row = match memcache_sync::MemcacheSync::new(&addr) {
                    Ok(target) => run_blocking(&target, &workload).map(|r| Row::from_report(&r, false)),
                    Err(e) => Err(e),
                };
                push(row.unwrap_or_else(|e| Row::failed(label.clone(), "memcache 0.21".into(), false, e)));
            }
            if options.wants("async-memcached") {
                push(async_row(&rt, &async_memcached::AsyncMemcached::new(&addr), &workload, false));
            }
            if options.wants("memcache-async") {
                push(async_row(&rt, &memcache_async::MemcacheAsync::new(&addr), &workload, false));
            }
            if slap && concurrency == 64 && matches!(kind, WorkloadKind::Get | WorkloadKind::Mixed) {
                let set_share = if kind == WorkloadKind::Get { 0.01 } else { 0.1 };
                let key_len = KeySpace::new(keys, value_size).key(keys - 1).len(); // the longest of ours
                let target = format!("memcaslap ({:.0}% set)", set_share * 100.0);
                let duration = workload.warmup + workload.duration;
                match memcaslap::run(&addr, concurrency, key_len, value_size, set_share, duration) {
                    Ok(report) => {
                        notes.push(format!("{label}, {target}: `{}` with CFG `{}`", report.command, report.config));
                        if report.get_misses > 0 {
                            notes.push(format!("{label}, {target}: {} get misses", report.get_misses));
                        }
                        push(Row {
                            workload: label.clone(),
                            target,
                            ours: false,
                            probe: false,
                            ops_per_s: Some(report.tps),
                            p50_us: None,
                            p99_us: None,
                            cpu_ns_per_op: Some(report.cpu_ns_per_op),
                            errors: None,
                            note: None,
                        });
                    }
                    Err(e) => push(Row::failed(label.clone(), target, false, e)),
                }
            }
            if options.wants("probe") {
                for row in probe_rows(&rt, &addr, &workload) {
                    push(row);
                }
            }
        }
    }
    drop(server);
    let markdown = document(&options, &rows, &notes);
    print!("{markdown}");
    if let Some(path) = &options.write
        && let Err(e) = std::fs::write(path, &markdown)
    {
        eprintln!("writing {path}: {e}");
        return ExitCode::FAILURE;
    }
    let bad = rows.iter().filter(|r| r.is_bad()).count();
    if bad > 0 {
        eprintln!("{bad} row(s) failed or counted errors");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Runs an async target; a run that fails becomes a failed row.
fn async_row<T: Target>(rt: &tokio::runtime::Runtime, target: &T, workload: &Workload, ours: bool) -> Row {
    match rt.block_on(run(target, workload)) {
        Ok(report) => Row::from_report(&report, ours),
        Err(e) => Row::failed(workload.describe(), target.name(), ours, e),
    }
}

/// The probe rows that bound `workload`: the same number of requests in flight as the workload keeps outstanding
/// (all of a multi-get's keys), with plain `get` and with meta `mg` for reads, meta `ms` for sets; none for mixed.
fn probe_rows(rt: &tokio::runtime::Runtime, addr: &str, workload: &Workload) -> Vec<Row> {
    let in_flight = workload.concurrency * if workload.kind == WorkloadKind::MultiGet { workload.batch } else { 1 };
    let kinds: &[ProbeKind] = match workload.kind {
        WorkloadKind::Get => &[ProbeKind::Get, ProbeKind::MetaGet],
        WorkloadKind::Set => &[ProbeKind::MetaSet],
        WorkloadKind::MultiGet => &[ProbeKind::MetaGet],
        WorkloadKind::Mixed => &[],
    };
    if kinds.is_empty() {
        return Vec::new();
    }
    let space = KeySpace::new(workload.keys, workload.value_size);
    let populated = Ours::connect(addr, 1)
        .and_then(|ours| rt.block_on(async { populate(&mut ours.session().await?, &space).await }));
    kinds
        .iter()
        .map(|&kind| {
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
                    errors: Some(report.wrong),
                    note: None,
                },
                Err(e) => Row::failed(workload.describe(), target, false, e),
            }
        })
        .collect()
}

/// The header (machine, server, date, command), the table and its notes.
fn document(options: &Options, rows: &[Row], notes: &[String]) -> String {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| Some(l.strip_prefix("model name")?.split_once(':')?.1.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let memcached = std::env::var("MEMCACHED_BIN").unwrap_or_else(|_| "memcached".to_owned());
    let runtime = match options.runtime_threads {
        0 => "tokio current-thread runtime".to_owned(),
        n => format!("tokio multi-thread runtime, {n} workers"),
    };
    let mut command = String::from("cargo bench -p memkit-bench --bench peers --");
    for arg in &options.args {
        command.push(' ');
        command.push_str(arg);
    }
    let mut out = format!(
        "## Peer comparison\n\n\
         - machine: {} cores (`nproc`), {cpu_model}\n\
         - server: {}, `-m 1024 -t {}`, on loopback, shared with the clients\n\
         - clients: async targets on a {runtime}; `memcache` on one OS thread per connection\n\
         - each row: {} s warm-up, then {} s measured; within a workload the targets run one after another\n\
         - date: {}\n\
         - command: `{command}`\n\n",
        shell("nproc", &[]),
        shell(&memcached, &["-V"]),
        options.server_threads,
        options.warmup,
        options.secs,
        shell("date", &["-u"]),
    );
    out.push_str(&table::render(rows));
    out.push_str(
        "\nNotes:\n\n\
         - ops/s counts keys for mget. Errors are wrong values, misses and failures; every value read is checked \
         against the key space. The probe counts wrong values only; memcaslap checks nothing (n/a).\n\
         - CPU ns/op is the client process's CPU time (all threads) per operation; the server's is not counted.\n\
         - memcache-async can only `set` with `noreply`; its session confirms each set with a `version` round trip \
         (two commands, one round trip per set).\n\
         - memcaslap cannot run get-only (with no sets it issues nothing), so its get row is 99% get / 1% set; its \
         latency is not reported.\n",
    );
    for note in notes {
        out.push_str(&format!("- {note}\n"));
    }
    for row in rows {
        if let Some(note) = &row.note {
            out.push_str(&format!("- {}, {}: {note}\n", row.workload, row.target));
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
