//! A short soak in CI: `memc soak --spawn 3` runs a checked mixed load while it kills, pauses and restarts its own
//! servers. No value read may contradict what was written, and no file descriptors may leak.

use std::collections::BTreeMap;
use std::process::Command;

/// The `soak key=value ...` summary line, as numbers.
fn summary(stdout: &str) -> BTreeMap<String, u64> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("soak ")).expect("a `soak ...` summary line");
    line.split(' ')
        .map(|field| {
            let (name, value) = field.split_once('=').expect("key=value");
            (name.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

#[test]
fn a_short_soak_with_chaos_reads_no_wrong_values_and_leaks_no_fds() {
    let output = Command::new(env!("CARGO_BIN_EXE_memc"))
        .args(["--timeout-ms", "300", "soak", "--spawn", "3", "--duration", "5", "--chaos-interval-ms", "1000"])
        .args(["--tasks", "4", "--keys", "256"])
        .output()
        .expect("run memc");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "memc soak failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let figures = summary(&stdout);
    assert_eq!(figures["wrong"], 0, "{stdout}");
    assert!(figures["ops"] > 1000, "{stdout}");
    assert!(figures["chaos"] >= 2, "the servers were disturbed: {stdout}");
    // Connections come and go with the servers; the count must not grow with them.
    assert!(figures["fds_end"] <= figures["fds_start"] + 3, "{stdout}");
}
