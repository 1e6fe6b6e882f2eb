//! libmemcached's `memcaslap` as a reference row: run as a child process, its reported TPS parsed.
//!
//! memcaslap generates its own keys and values and checks nothing (no `--verify`), so its row has throughput and
//! CPU only. It cannot run get-only: with a set proportion of 0 it never issues a request, so the "get" run is
//! 99% get / 1% set (the sets are what it later reads); the "mixed" run is its default 90% get / 10% set.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// What memcaslap reported.
pub(crate) struct SlapReport {
    /// The exact command line, for the table's notes (`CFG` stands for the config file).
    pub(crate) command: String,
    /// The config file's contents on one line.
    pub(crate) config: String,
    /// Its `TPS:` figure (requests per second over the whole run).
    pub(crate) tps: f64,
    /// Its `get_misses:` count.
    pub(crate) get_misses: u64,
    /// Its own CPU time per request, in nanoseconds.
    pub(crate) cpu_ns_per_op: f64,
}

/// Runs memcaslap against `addr` with `concurrency` connections on one thread for `duration` (whole seconds, at
/// least one), with `key_len`-byte keys, `value_size`-byte values and `set_share` of requests being sets.
///
/// memcaslap takes the key size and the get/set mix only from a config file (`-X` fixes the value size alone), so
/// this writes one for the run. A memcaslap still running well past its `--time` is killed and reported.
pub(crate) fn run(
    addr: &str,
    concurrency: usize,
    key_len: usize,
    value_size: usize,
    set_share: f64,
    duration: Duration,
) -> Result<SlapReport, String> {
    let text = format!(
        "key\n{key_len} {key_len} 1\nvalue\n{value_size} {value_size} 1\ncmd\n0 {set_share}\n1 {}\n",
        1.0 - set_share
    );
    let config = std::env::temp_dir().join(format!("memkit-memcaslap-{}.cfg", std::process::id()));
    std::fs::write(&config, &text).map_err(|e| format!("memcaslap config {}: {e}", config.display()))?;
    let secs = duration.as_secs_f64().round().max(1.0);
    let args = [
        format!("--servers={addr}"),
        format!("--concurrency={concurrency}"),
        "--threads=1".to_owned(),
        format!("--time={secs}s"),
        format!("--cfg_cmd={}", config.display()),
    ];
    let command = format!("memcaslap {}", args[..4].join(" ")) + " --cfg_cmd=CFG";
    let cpu_before = children_cpu();
    let output = run_bounded(Command::new(binary()).args(&args), Duration::from_secs_f64(secs) + GRACE)
        .map_err(|e| format!("{command}: {e}"));
    let _ = std::fs::remove_file(&config);
    let output = output?;
    let cpu = children_cpu().saturating_sub(cpu_before);
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{command} exited with {}: {stdout}{stderr}", output.status));
    }
    let tps = field(&stdout, "TPS:").ok_or_else(|| format!("{command}: no TPS in its output:\n{stdout}"))?;
    let ops = field(&stdout, "Ops:").unwrap_or(0.0);
    Ok(SlapReport {
        command,
        config: text.trim_end().replace('\n', " / "),
        tps,
        get_misses: field(&stdout, "get_misses:").unwrap_or(0.0) as u64,
        cpu_ns_per_op: if ops > 0.0 { cpu.as_nanos() as f64 / ops } else { 0.0 },
    })
}

/// How long past its `--time` memcaslap may take to finish before it is killed.
const GRACE: Duration = Duration::from_secs(30);

/// Runs `command` to completion with its output captured, killing it if it outlives `limit`.
fn run_bounded(command: &mut Command, limit: Duration) -> Result<Output, String> {
    let child =
        command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| format!("cannot start: {e}"))?;
    let pid = child.id().to_string();
    // A thread waits for the child and its output; this one waits for that thread with a deadline, so nothing
    // polls.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match finished.recv_timeout(limit) {
        Ok(output) => output.map_err(|e| e.to_string()),
        Err(_) => {
            // Not reaped yet (the waiting thread has not returned), so the pid is still this child's.
            let _ = Command::new("kill").args(["-9", &pid]).status();
            let _ = finished.recv();
            Err(format!("still running after {limit:?}; killed"))
        }
    }
}

/// The binary: `MEMCASLAP_BIN` or `memcaslap` on the PATH.
fn binary() -> String {
    std::env::var("MEMCASLAP_BIN").unwrap_or_else(|_| "memcaslap".to_owned())
}

/// Whether memcaslap can be started at all.
pub(crate) fn available() -> bool {
    Command::new(binary()).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// The number after `name` in memcaslap's output (the last occurrence: the final summary).
fn field(text: &str, name: &str) -> Option<f64> {
    let at = text.rfind(name)? + name.len();
    text[at..].split_whitespace().next()?.parse().ok()
}

/// User plus system CPU time of this process's waited-for children (`cutime` + `cstime` in `/proc/self/stat`).
fn children_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return Duration::ZERO };
    let Some((_, rest)) = stat.rsplit_once(") ") else { return Duration::ZERO };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // USER_HZ is 100 on every mainstream Linux architecture.
    Duration::from_millis((ticks(13) + ticks(14)) * 10)
}
