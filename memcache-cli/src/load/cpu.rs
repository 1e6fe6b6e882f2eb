//! CPU time of this process, from `/proc/self/stat` (all threads; no unsafe `getrusage` call needed).

use std::time::Duration;

/// User plus system CPU time this process has used so far, or zero where `/proc` is unavailable.
pub fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return Duration::ZERO };
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields overall.
    let Some(rest) = stat.rsplit_once(") ").map(|(_, rest)| rest) else { return Duration::ZERO };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // Linux reports in USER_HZ, which is 100 on every mainstream architecture.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}
