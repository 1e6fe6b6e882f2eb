//! CPU time of a process, from `/proc/PID/stat` (all threads; no unsafe `getrusage` call needed).

use std::time::Duration;

/// User plus system CPU time this process has used so far, or zero where `/proc` is unavailable.
pub fn cpu_time() -> Duration {
    read("/proc/self/stat").unwrap_or(Duration::ZERO)
}

/// User plus system CPU time process `pid` (all its threads) has used so far; `None` where it cannot be read (no
/// `/proc`, or no such process). The benchmarks read the server's this way.
pub fn process_cpu_time(pid: u32) -> Option<Duration> {
    read(&format!("/proc/{pid}/stat"))
}

fn read(path: &str) -> Option<Duration> {
    parse(&std::fs::read_to_string(path).ok()?)
}

/// utime + stime of a `stat` line.
fn parse(stat: &str) -> Option<Duration> {
    // Fields after the parenthesised command name (which may hold spaces and parentheses, hence the last `)`);
    // utime and stime are the 14th and 15th fields overall.
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let ticks = fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?;
    // Linux reports in USER_HZ, which is 100 on every mainstream architecture.
    Some(Duration::from_millis(ticks * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_and_stime_are_read_after_the_command_name() {
        let stat = "4242 (mc (worker) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 4 0 1000 0 0";
        assert_eq!(parse(stat), Some(Duration::from_millis(3_250)));
        assert_eq!(parse("4242 (truncated) S 1"), None);
        assert!(process_cpu_time(std::process::id()).is_some(), "this process's own stat is readable");
        assert_eq!(process_cpu_time(u32::MAX), None, "no such process: no figure, not zero");
    }
}
