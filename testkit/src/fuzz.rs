//! The proptest configuration of the fuzz harnesses (`tests/fuzz.rs` in memcache-client and typed-ids).

use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

/// `default_cases` cases per target from the seed `default_seed`, unless the environment says otherwise:
/// `MEMKIT_FUZZ_CASES` (a number) and `MEMKIT_FUZZ_SEED` (decimal or `0x` hex). The seed is printed, so a failing
/// run can be replayed (the test harness shows it only when the target fails). No failure files are written: a
/// crash found becomes a named regression test instead.
///
/// # Panics
/// If either variable is set to something that is not a number.
pub fn fuzz_config(default_cases: u32, default_seed: u64) -> Config {
    let cases = std::env::var("MEMKIT_FUZZ_CASES").ok().map_or(default_cases, |v| {
        v.parse().unwrap_or_else(|_| panic!("MEMKIT_FUZZ_CASES must be a number, not {v:?}"))
    });
    let seed = std::env::var("MEMKIT_FUZZ_SEED").ok().map_or(default_seed, |v| {
        let parsed = match v.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => v.parse(),
        };
        parsed.unwrap_or_else(|_| panic!("MEMKIT_FUZZ_SEED must be a number, not {v:?}"))
    });
    eprintln!("fuzz: {cases} cases, replay with MEMKIT_FUZZ_SEED={seed:#x}");
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    }
}
