//! `memc soak`: a long mixed load (get/get_many/set/delete/incr) that checks every value it reads against a model of what
//! it wrote, while — when it started the servers itself (`--spawn N`) — a chaos thread kills and restarts them,
//! pauses them briefly, or black-holes them (SIGSTOP for twice the request timeout: the sockets stay open and
//! nothing answers, so the client must give its connections up on its own).
//!
//! The model keeps, per key, the set of values a read may legitimately return: one value after a confirmed write,
//! several after a write that failed (a timed-out write may or may not have been applied), and "absent" as well
//! for keys on a server that was killed (its items are gone on restart). A write that timed out against a stopped
//! server is worse: the client has closed that connection, but the request sits in the server's socket buffer and
//! is applied when the server resumes, possibly after later writes made on a new connection. Such a key is in
//! doubt (anything may be read) until the server has resumed and settled; then the next read or write pins it
//! again. Each task owns its own keys, so nothing
//! races on the server side; a read outside the set is a wrong value, and there must be none.
//!
//! It prints operations, wrong values, errors by [`ErrorKind`](memcache_client::ErrorKind) name, and the process's
//! resident memory and open file descriptors at start and end, then a `soak ...` summary line with the same figures
//! for scripts.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use memcache_client::{Client, Config, FailurePolicy, ServerAddr, StoreOptions};

use crate::exit::{Failure, Outcome};

/// `memc soak` options.
#[derive(Debug, clap::Args)]
pub(crate) struct SoakArgs {
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Start this many memcached processes on free loopback ports (instead of using --servers) and kill, pause and
    /// restart them during the run. Servers it did not start are never touched.
    #[arg(long, default_value_t = 0)]
    spawn: usize,
    /// Concurrent load tasks.
    #[arg(long, default_value_t = 8)]
    tasks: usize,
    /// Keys in the key space (split between the tasks).
    #[arg(long, default_value_t = 512)]
    keys: usize,
    /// Milliseconds between chaos events (with --spawn).
    #[arg(long, default_value_t = 3000)]
    chaos_interval_ms: u64,
    /// Upper bound on operations per task, whatever the duration.
    #[arg(long, default_value_t = 50_000_000)]
    max_ops: u64,
    /// Seed of the operation mix and the chaos schedule.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// What a read may return for one key.
#[derive(Debug, Clone)]
enum Model {
    /// One of these (`None`: absent).
    OneOf(Vec<Option<Vec<u8>>>),
    /// Too many possibilities to track: anything; the next read pins it down again.
    Any,
}

/// More candidates than this and a key's model gives up until its next read.
const MAX_CANDIDATES: usize = 16;

impl Model {
    fn admits(&self, value: Option<&[u8]>) -> bool {
        match self {
            Model::OneOf(values) => values.iter().any(|v| v.as_deref() == value),
            Model::Any => true,
        }
    }

    fn add(&mut self, value: Option<Vec<u8>>) {
        if let Model::OneOf(values) = self {
            if !values.contains(&value) {
                values.push(value);
            }
            if values.len() > MAX_CANDIDATES {
                *self = Model::Any;
            }
        }
    }

    /// The numbers an `incr` may have started from.
    fn numbers(&self) -> Option<Vec<u64>> {
        match self {
            Model::OneOf(values) => Some(values.iter().flatten().filter_map(|v| parse_counter(v)).collect()),
            Model::Any => None,
        }
    }
}

fn parse_counter(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.trim_end().parse().ok()
}

/// Per-key models, and per server the count of kills: a write acknowledged across a kill may be lost.
struct Shared {
    models: Vec<Mutex<Model>>,
    /// Odd while a server is being killed and restarted.
    kills: Vec<AtomicU64>,
    /// Per server: odd while it is stopped (SIGSTOP) and until it has settled after SIGCONT.
    stops: Vec<AtomicU64>,
    /// Per key: the `stops` count of its server from which on it is out of doubt (0: never in doubt).
    doubt: Vec<AtomicU64>,
    /// The server index of each key.
    owner: Vec<usize>,
}

impl Shared {
    fn model(&self, key: usize) -> std::sync::MutexGuard<'_, Model> {
        self.models[key].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `key` is out of doubt for an operation that started when its server's stop count was `stops`.
    fn settled(&self, key: usize, stops: u64) -> bool {
        stops >= self.doubt[key].load(Ordering::SeqCst)
    }

    /// A write to `key` failed with `error` while its server's stop count went from `before` to `after`: if the
    /// request may still be sitting in a stopped (or slow) server, unapplied, it may land after later writes, so the
    /// key is in doubt until the server has resumed and settled (for a timeout with no stop seen, until the next
    /// stop is over).
    fn maybe_late(&self, key: usize, error: &memcache_client::Error, before: u64, after: u64) -> bool {
        let stopped = before % 2 == 1 || after != before;
        if !stopped && !error.is_timeout() {
            return false;
        }
        let until = match after {
            a if a % 2 == 1 => a + 1,
            a if stopped => a,
            a => a + 2,
        };
        self.doubt[key].fetch_max(until, Ordering::SeqCst);
        *self.model(key) = Model::Any;
        true
    }
}

/// What a write left under its key (`None`: absent).
enum Wrote {
    /// Acknowledged.
    Surely(Option<Vec<u8>>),
    /// Failed with this error: it may or may not have been applied.
    Maybe(Option<Vec<u8>>, memcache_client::Error),
}

#[derive(Debug, Default)]
struct Tally {
    ops: u64,
    gets: u64,
    /// `get_many` calls; each checks every key it asked for.
    multi_gets: u64,
    sets: u64,
    deletes: u64,
    incrs: u64,
    wrong: Vec<String>,
    errors: BTreeMap<&'static str, u64>,
}

pub(crate) async fn run(cli_servers: &str, timeout: Duration, args: &SoakArgs) -> Result<Outcome, Failure> {
    let mut servers = Vec::new();
    for _ in 0..args.spawn {
        servers.push(Server::start().map_err(Failure::connection)?);
    }
    let list = if servers.is_empty() {
        cli_servers.to_owned()
    } else {
        servers.iter().map(Server::addr).collect::<Vec<_>>().join(",")
    };
    let addrs = ServerAddr::parse_list(&list)?;
    let mut config = Config::default();
    config.request_timeout = timeout;
    config.connect_timeout = timeout;
    // Keys must stay on their server for the model to hold: fail fast while one is down, never re-route.
    config.failure_policy = FailurePolicy::FailFast;
    config.retry_interval = Duration::from_millis(500);
    let client = Client::with_config(addrs.clone(), config)?;

    let keys: Vec<String> = (0..args.keys.max(1)).map(|i| format!("soak:{}:{i}", args.seed)).collect();
    let owner = keys
        .iter()
        .map(|k| {
            let addr = client.server_for(k.as_bytes());
            addrs.iter().position(|a| *a == addr).unwrap_or(0)
        })
        .collect();
    // Start from a known state: every key deleted (or unknown if the delete failed).
    let mut models = Vec::with_capacity(keys.len());
    for key in &keys {
        let model = match client.delete(key).await {
            Ok(_) => Model::OneOf(vec![None]),
            Err(_) => Model::Any,
        };
        models.push(Mutex::new(model));
    }
    let counters = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
    let shared = Arc::new(Shared {
        doubt: counters(models.len()),
        models,
        kills: counters(addrs.len()),
        stops: counters(addrs.len()),
        owner,
    });

    let (rss_start, fds_start) = (resident_kb(), open_fds());
    println!(
        "soak: {}s, {} servers{}, {} tasks, {} keys, seed {}",
        args.duration,
        addrs.len(),
        if args.spawn > 0 { " (spawned; chaos on)" } else { "" },
        args.tasks.max(1),
        keys.len(),
        args.seed
    );
    println!("start: rss {rss_start} KiB, {fds_start} open fds");

    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    // Dropping the sender tells the chaos thread to stop, at once, whatever it is waiting for.
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let chaos = (!servers.is_empty()).then(|| {
        let shared = shared.clone();
        let interval = Duration::from_millis(args.chaos_interval_ms.max(100));
        let seed = args.seed;
        std::thread::spawn(move || chaos(servers, &shared, &stopped, interval, timeout, deadline, seed))
    });

    let keys = Arc::new(keys);
    let tasks = args.tasks.max(1);
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let (client, shared, keys) = (client.clone(), shared.clone(), keys.clone());
            let own: Vec<usize> = (t..keys.len()).step_by(tasks).collect();
            let (seed, max_ops) = (args.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ t as u64, args.max_ops);
            tokio::spawn(async move { load(&client, &shared, &keys, &own, seed, deadline, max_ops).await })
        })
        .collect();
    let mut tally = Tally::default();
    for handle in handles {
        let t = handle.await.map_err(|e| Failure::connection(format!("a load task failed: {e}")))?;
        tally.ops += t.ops;
        tally.gets += t.gets;
        tally.multi_gets += t.multi_gets;
        tally.sets += t.sets;
        tally.deletes += t.deletes;
        tally.incrs += t.incrs;
        tally.wrong.extend(t.wrong);
        for (kind, n) in t.errors {
            *tally.errors.entry(kind).or_default() += n;
        }
    }
    drop(stop);
    // The chaos thread hands the servers back, so they outlive the load (and die with this function).
    let (chaos_events, _servers) = match chaos {
        Some(handle) => handle.join().map_err(|_| Failure::connection("the chaos thread panicked".into()))?,
        None => (0, Vec::new()),
    };
    let elapsed = started.elapsed().as_secs_f64();
    let (rss_end, fds_end) = (resident_kb(), open_fds());

    let errors: u64 = tally.errors.values().sum();
    println!(
        "ops: {} ({:.0}/s): {} gets, {} multi-gets, {} sets, {} deletes, {} incrs; {} chaos events",
        tally.ops,
        tally.ops as f64 / elapsed,
        tally.gets,
        tally.multi_gets,
        tally.sets,
        tally.deletes,
        tally.incrs,
        chaos_events
    );
    println!("wrong values: {}", tally.wrong.len());
    for wrong in tally.wrong.iter().take(10) {
        println!("  {wrong}");
    }
    let by_kind: Vec<String> = tally.errors.iter().map(|(k, n)| format!("{k}={n}")).collect();
    println!("errors: {errors} ({})", if by_kind.is_empty() { "none".to_owned() } else { by_kind.join(", ") });
    println!("end: rss {rss_end} KiB, {fds_end} open fds");
    println!(
        "soak ops={} wrong={} errors={} chaos={} rss_start_kb={rss_start} rss_end_kb={rss_end} fds_start={fds_start} \
         fds_end={fds_end}",
        tally.ops,
        tally.wrong.len(),
        errors,
        chaos_events
    );
    if !tally.wrong.is_empty() {
        return Err(Failure::connection(format!("{} wrong values read", tally.wrong.len())));
    }
    Ok(Outcome::Done)
}

/// One load task: a seeded mix over its own keys until the deadline (or `max_ops`).
async fn load(
    client: &Client,
    shared: &Shared,
    keys: &[String],
    own: &[usize],
    seed: u64,
    deadline: Instant,
    max_ops: u64,
) -> Tally {
    let mut tally = Tally::default();
    if own.is_empty() {
        return tally;
    }
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    while tally.ops < max_ops && Instant::now() < deadline {
        let i = own[(next() % own.len() as u64) as usize];
        let key = &keys[i];
        // Even keys hold counters (set to a number, incremented), odd keys text.
        let counter = i.is_multiple_of(2);
        let server = shared.owner[i];
        let kills_before = shared.kills[server].load(Ordering::SeqCst);
        let stops_before = shared.stops[server].load(Ordering::SeqCst);
        let settled = shared.settled(i, stops_before);
        let roll = next() % 100;
        tally.ops += 1;
        // Text keys read where counters are incremented (roll 85 and up): they have nothing to increment.
        let written = if roll < 40 || (roll >= 85 && !counter) {
            tally.gets += 1;
            match client.get(key).await {
                Ok(item) => {
                    check_read(shared, keys, i, item.map(|i| i.value.to_vec()), settled, "get", &mut tally);
                }
                Err(e) => *tally.errors.entry(e.kind().as_str()).or_default() += 1,
            }
            None
        } else if roll < 50 {
            tally.multi_gets += 1;
            // Up to 8 of this task's keys (a repeat is fine: it must be answered too), spread over the servers, so
            // the batch's per-server parts meet the chaos separately.
            let batch: Vec<usize> = (0..1 + next() % 8).map(|_| own[(next() % own.len() as u64) as usize]).collect();
            let kills: Vec<u64> = batch.iter().map(|&k| shared.kills[shared.owner[k]].load(Ordering::SeqCst)).collect();
            let settled: Vec<bool> = batch
                .iter()
                .map(|&k| shared.settled(k, shared.stops[shared.owner[k]].load(Ordering::SeqCst)))
                .collect();
            match client.get_many(batch.iter().map(|&k| keys[k].as_str())).await {
                Ok(result) => {
                    for (&k, &settled) in batch.iter().zip(&settled) {
                        match result.errors().get(keys[k].as_bytes()) {
                            Some(e) => *tally.errors.entry(e.kind().as_str()).or_default() += 1,
                            None => {
                                let value = result.get(&keys[k]).map(|item| item.value.to_vec());
                                check_read(shared, keys, k, value, settled, "get_many", &mut tally);
                            }
                        }
                    }
                }
                Err(e) => *tally.errors.entry(e.kind().as_str()).or_default() += 1,
            }
            for (&k, before) in batch.iter().zip(kills) {
                if shared.kills[shared.owner[k]].load(Ordering::SeqCst) != before || before % 2 == 1 {
                    shared.model(k).add(None);
                }
            }
            continue;
        } else if roll < 75 {
            tally.sets += 1;
            let value = if counter { (next() % 1000).to_string() } else { format!("{key}={}", next()) }.into_bytes();
            match client.set(key, value.clone(), StoreOptions::default()).await {
                Ok(_) => Some(Wrote::Surely(Some(value))),
                Err(e) => {
                    *tally.errors.entry(e.kind().as_str()).or_default() += 1;
                    Some(Wrote::Maybe(Some(value), e))
                }
            }
        } else if roll < 85 {
            tally.deletes += 1;
            match client.delete(key).await {
                Ok(_) => Some(Wrote::Surely(None)),
                Err(e) => {
                    *tally.errors.entry(e.kind().as_str()).or_default() += 1;
                    Some(Wrote::Maybe(None, e))
                }
            }
        } else {
            // Roll 85 and up on a counter key (a text key read, above).
            tally.incrs += 1;
            let delta = next() % 10 + 1;
            let result = client.incr(key, delta).await;
            if let Err(e) = &result
                && shared.maybe_late(i, e, stops_before, shared.stops[server].load(Ordering::SeqCst))
            {
                *tally.errors.entry(e.kind().as_str()).or_default() += 1;
                continue;
            }
            let mut model = shared.model(i);
            if !settled {
                // In doubt: a late write may still land; the outcome pins nothing.
                *model = Model::Any;
                if let Err(e) = &result {
                    *tally.errors.entry(e.kind().as_str()).or_default() += 1;
                }
                continue;
            }
            match (result, model.numbers()) {
                (Ok(n), None) => *model = Model::OneOf(vec![n.map(|n| n.to_string().into_bytes())]),
                (Ok(Some(n)), Some(before)) => {
                    if before.iter().any(|b| b.wrapping_add(delta) == n) {
                        *model = Model::OneOf(vec![Some(n.to_string().into_bytes())]);
                    } else {
                        tally.wrong.push(format!("incr {key} by {delta}: got {n}, model {model:?}"));
                    }
                }
                (Ok(None), Some(_)) => {
                    if model.admits(None) {
                        *model = Model::OneOf(vec![None]);
                    } else {
                        tally.wrong.push(format!("incr {key}: absent, model {model:?}"));
                    }
                }
                (Err(e), numbers) => {
                    *tally.errors.entry(e.kind().as_str()).or_default() += 1;
                    for n in numbers.unwrap_or_default() {
                        model.add(Some(n.wrapping_add(delta).to_string().into_bytes()));
                    }
                }
            }
            drop(model);
            if shared.kills[server].load(Ordering::SeqCst) != kills_before || kills_before % 2 == 1 {
                shared.model(i).add(None);
            }
            continue;
        };
        if let Some(Wrote::Maybe(_, e)) = &written
            && shared.maybe_late(i, e, stops_before, shared.stops[server].load(Ordering::SeqCst))
        {
            continue;
        }
        let mut model = shared.model(i);
        match written {
            Some(Wrote::Surely(value)) if settled => *model = Model::OneOf(vec![value]),
            Some(Wrote::Surely(_)) => *model = Model::Any,
            Some(Wrote::Maybe(value, _)) => model.add(value),
            None => {}
        }
        // A kill during (or just before) the operation may have taken the item with it.
        if shared.kills[server].load(Ordering::SeqCst) != kills_before || kills_before % 2 == 1 {
            model.add(None);
        }
    }
    tally
}

/// Checks `value`, read for key `i` by `what`, against the key's model: a value outside it is a wrong value;
/// otherwise the model is pinned to what was read, if the key was `settled` (out of doubt) when the read began.
fn check_read(
    shared: &Shared,
    keys: &[String],
    i: usize,
    value: Option<Vec<u8>>,
    settled: bool,
    what: &str,
    tally: &mut Tally,
) {
    let mut model = shared.model(i);
    if model.admits(value.as_deref()) {
        if settled {
            *model = Model::OneOf(vec![value]);
        }
    } else {
        tally.wrong.push(format!("{what} {}: read {value:?}, model {model:?}", keys[i]));
    }
}

/// Bounds the reads of the socket table while a resumed server works through what queued up while it was stopped
/// (see [`crate::drain`]); the keys in doubt are settled only after that. memcached drains its sockets within
/// milliseconds of SIGCONT, and each read takes tens of microseconds, so this is seconds.
const SETTLE_POLLS: usize = 200_000;

/// Kills (and restarts), pauses (and resumes) or black-holes one spawned server every `interval` until `stop` is
/// dropped or near the deadline; returns how many events it ran, and the servers.
fn chaos(
    mut servers: Vec<Server>,
    shared: &Shared,
    stop: &std::sync::mpsc::Receiver<()>,
    interval: Duration,
    timeout: Duration,
    deadline: Instant,
    seed: u64,
) -> (u64, Vec<Server>) {
    let mut rng = seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1;
    let mut events = 0;
    // Bounded in count as well as time.
    let max_events = 1 + (deadline.saturating_duration_since(Instant::now()).as_millis() / interval.as_millis()) as u64;
    while events < max_events && Instant::now() + interval < deadline {
        // The pause between events; the load finishing ends it.
        if stop.recv_timeout(interval) != Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
            break;
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let index = (rng % servers.len() as u64) as usize;
        let server = &mut servers[index];
        let outage = interval / 3;
        if rng.is_multiple_of(3) {
            println!("chaos: kill -9 {} ({})", server.addr(), server.child.id());
            // Odd while the server is down: every key on it may lose its value.
            shared.kills[index].fetch_add(1, Ordering::SeqCst);
            for (key, _) in shared.owner.iter().enumerate().filter(|(_, s)| **s == index) {
                shared.model(key).add(None);
            }
            server.kill();
            std::thread::sleep(outage);
            if let Err(e) = server.restart() {
                println!("chaos: {e}");
            }
            shared.kills[index].fetch_add(1, Ordering::SeqCst);
        } else {
            // A pause is a slow server; a black hole outlasts the request timeout twice over, so requests time out
            // on sockets that stay open and silent (a frozen VM, a hung proxy): the client must replace them.
            let (what, length) = if rng % 3 == 1 { ("pause", outage) } else { ("black hole", timeout * 2) };
            println!("chaos: {what} {} for {length:?}", server.addr());
            shared.stops[index].fetch_add(1, Ordering::SeqCst);
            server.signal("-STOP");
            std::thread::sleep(length);
            server.signal("-CONT");
            if let Err(why) = crate::drain::wait_drained(server.port, SETTLE_POLLS) {
                // Loud: the keys in doubt are settled anyway, and a stale write may then show as a wrong value.
                println!("chaos: cannot tell that {} has settled: {why}", server.addr());
            }
            shared.stops[index].fetch_add(1, Ordering::SeqCst);
        }
        events += 1;
    }
    (events, servers)
}

/// A memcached process this command started on a free loopback port (the same flags as the test harness).
struct Server {
    child: Child,
    port: u16,
}

/// How many connects to try while a fresh server starts listening (each refused connect returns at once).
const READY_ATTEMPTS: usize = 200_000;

impl Server {
    fn start() -> Result<Self, String> {
        for _ in 0..20 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free loopback port: {e}"))?
                .port();
            if let Some(child) = spawn(port)? {
                return Ok(Self { child, port });
            }
        }
        Err("memcached did not start on any of 20 free ports".into())
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self) -> Result<(), String> {
        self.kill();
        for _ in 0..50 {
            if let Some(child) = spawn(self.port)? {
                self.child = child;
                return Ok(());
            }
        }
        Err(format!("memcached did not restart on port {}", self.port))
    }

    fn signal(&self, signal: &str) {
        let _ = Command::new("kill").args([signal, &self.child.id().to_string()]).status();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGKILL ends a paused (stopped) process too.
        self.kill();
    }
}

/// Starts memcached on `port`; `Ok(None)` if it exited (port taken) or never listened.
fn spawn(port: u16) -> Result<Option<Child>, String> {
    let bin = std::env::var("MEMCACHED_BIN").unwrap_or_else(|_| "memcached".to_owned());
    let mut child = Command::new(&bin)
        .args(["-l", "127.0.0.1", "-p", &port.to_string(), "-U", "0", "-t", "1", "-m", "64", "-u", "root"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {bin}: {e}"))?;
    for _ in 0..READY_ATTEMPTS {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(Some(child));
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return Ok(None);
        }
        std::thread::yield_now();
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(None)
}

/// This process's resident set size in KiB (`VmRSS`), 0 where `/proc` is unavailable.
fn resident_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmRSS:").map(|v| v.trim().trim_end_matches(" kB").to_owned()))
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// How many file descriptors this process has open (`/proc/self/fd`), 0 where `/proc` is unavailable.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_admits_only_its_candidates() {
        let mut model = Model::OneOf(vec![Some(b"a".to_vec())]);
        assert!(model.admits(Some(b"a")));
        assert!(!model.admits(None));
        model.add(None);
        assert!(model.admits(None) && !model.admits(Some(b"b")));
        for i in 0..MAX_CANDIDATES {
            model.add(Some(i.to_string().into_bytes()));
        }
        assert!(matches!(model, Model::Any));
        assert!(model.admits(Some(b"anything")));
    }

    #[test]
    fn counters_parse_with_memcacheds_space_padding() {
        assert_eq!(parse_counter(b"42  "), Some(42));
        assert_eq!(parse_counter(b"x"), None);
    }
}
