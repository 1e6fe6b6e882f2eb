//! The shop's handlers under deterministic simulation: concurrent requests interleaved at every effect, faults
//! drawn per seed, and the README's promises as invariants. Planted bugs (`planted.rs`) must be found,
//! shrunk and replayed; the shop's own handlers, their fixed twins, must pass.
//!
//! To hunt a bug of your own: implement [`scenarios::Shop`] on a new type, overriding the one handler that has
//! the bug (the others stay the shop's), and call `found(&PurchaseRace::<YourBug>::racing(), &Config::default(),
//! ...)` (or `cache_failures()`, `with_faults()`, `ProductRace::new()`). A failure prints a replay line; paste it
//! into `sim::replay(&scenario, &"seed=... schedule=...".parse().unwrap())` to rerun exactly that run.
//!
//! The long runs are `#[ignore]`d and recorded in BENCHMARKS.md:
//! `cargo test --release -p example-shop-handlers --test simulation -- --ignored --nocapture`.

mod planted;
mod scenarios;

use effects::sandbox::sim::{self, Config, FailureKind, Scenario, Strategy};
use planted::{
    CacheBeforeCommit, CheckOutsideTx, CounterOutsideTx, CustomerCachedForever, InvalidateBeforeCommit,
    RetryReusesRead, RmwOutsideTx,
};
use scenarios::{ProductRace, PurchaseRace, RealShop};

/// The strategies every campaign here runs.
fn strategies() -> [Strategy; 3] {
    [Strategy::Random, Strategy::Pct { depth: 2 }, Strategy::Pct { depth: 3 }]
}

/// Hunts `scenario` with `config` (the planted-bug tests use [`Config::default`], the documented budget); the
/// bug must be found, breaking one of `invariants`, shrunk to no more than `max_requests` requests, and its
/// printed replay line must reproduce it.
fn found<S: Scenario>(scenario: &S, config: &Config, invariants: &[&str], max_requests: usize) {
    let failure = sim::simulate(scenario, config).expect_err("the planted bug is found");
    let FailureKind::Invariant { name, .. } = &failure.kind else { panic!("not an invariant: {failure}") };
    assert!(invariants.contains(name), "{failure}");
    assert!(failure.shrunk.requests <= max_requests, "{failure}");
    assert!(failure.shrunk <= failure.found, "{failure}");
    let line = failure.replay.to_string().parse().expect("the printed line parses");
    let again = sim::replay(scenario, &line).expect_err("the replay fails again");
    assert!(again.kind.same_as(&failure.kind), "{again}");
}

#[test]
fn the_shop_keeps_its_promises_under_racing_purchases() {
    for strategy in strategies() {
        sim::check(&PurchaseRace::<RealShop>::racing(), &Config::seeds(60).strategy(strategy));
    }
}

#[test]
fn the_shop_keeps_its_promises_when_the_cache_fails_mid_purchase() {
    for strategy in strategies() {
        sim::check(&PurchaseRace::<RealShop>::cache_failures(), &Config::seeds(60).strategy(strategy));
    }
}

#[test]
fn the_shop_keeps_its_promises_under_store_and_cache_faults() {
    for strategy in strategies() {
        sim::check(&PurchaseRace::<RealShop>::with_faults(), &Config::seeds(60).strategy(strategy));
    }
}

#[test]
fn product_creation_racing_reads_hands_out_distinct_ids() {
    for strategy in strategies() {
        sim::check(&ProductRace::<RealShop>::new(), &Config::seeds(60).strategy(strategy));
    }
}

#[test]
fn planted_read_modify_write_outside_the_transaction_is_found() {
    // Both purchases debit the balance they read first: one debit is lost, or both pass a check only one could.
    found(&PurchaseRace::<RmwOutsideTx>::racing(), &Config::default(), &["credits are conserved", "no overdraft"], 3);
}

#[test]
fn planted_balance_check_outside_the_transaction_is_found() {
    found(&PurchaseRace::<CheckOutsideTx>::racing(), &Config::default(), &["no overdraft"], 3);
}

#[test]
fn planted_cache_write_before_commit_is_found() {
    found(&PurchaseRace::<CacheBeforeCommit>::racing(), &Config::default(), &["reads are fresh within the TTL"], 2);
}

#[test]
fn planted_retry_that_reuses_a_stale_read_is_found() {
    found(
        &PurchaseRace::<RetryReusesRead>::with_faults(),
        &Config::default(),
        &["credits are conserved", "no overdraft"],
        4,
    );
}

#[test]
fn planted_id_counter_outside_the_transaction_is_found() {
    found(&ProductRace::<CounterOutsideTx>::new(), &Config::default(), &["no internal errors"], 2);
}

#[test]
fn planted_customer_cached_forever_is_found() {
    found(
        &PurchaseRace::<CustomerCachedForever>::cache_failures(),
        &Config::default(),
        &["reads are fresh within the TTL"],
        3,
    );
}

#[test]
fn planted_invalidation_before_the_commit_is_found() {
    found(
        &PurchaseRace::<InvalidateBeforeCommit>::racing(),
        &Config::default(),
        &["a read after a purchase returned sees it"],
        3,
    );
}

/// Seeds a campaign of the planted-bug table may run.
const HUNT_SEEDS: u64 = 1_000;
/// Campaigns per bug and strategy, each from its own first seed.
const HUNT_TRIALS: u64 = 20;

/// Seeds to the first failure in each of [`HUNT_TRIALS`] campaigns of up to [`HUNT_SEEDS`] seeds (`None`: not
/// found).
fn hunt<S: Scenario>(scenario: &S, strategy: &Strategy) -> Vec<Option<u64>> {
    (0..HUNT_TRIALS)
        .map(|trial| {
            let config =
                Config::seeds(HUNT_SEEDS).first_seed(trial * 1_000_003).strategy(strategy.clone()).shrink_runs(0);
            match sim::simulate(scenario, &config) {
                Ok(_) => None,
                Err(failure) if matches!(failure.kind, FailureKind::NeverReached { .. }) => None,
                Err(failure) => Some(failure.seeds_run),
            }
        })
        .collect()
}

/// `share found / median seeds to the first failure` for one table cell.
fn cell(results: &[Option<u64>]) -> String {
    let found = results.iter().filter(|r| r.is_some()).count();
    let mut seeds: Vec<u64> = results.iter().map(|r| r.unwrap_or(u64::MAX)).collect();
    seeds.sort_unstable();
    let median = seeds[seeds.len() / 2];
    let median = if median == u64::MAX { format!(">{HUNT_SEEDS}") } else { median.to_string() };
    format!("{}% / {median}", found * 100 / results.len())
}

fn row<S: Scenario>(bug: &str, scenario: &S) {
    let all = [Strategy::Fifo, Strategy::Random, Strategy::Pct { depth: 2 }, Strategy::Pct { depth: 3 }];
    let cells: Vec<String> = all.iter().map(|strategy| cell(&hunt(scenario, strategy))).collect();
    report(&format!("| {bug} | {} | {} |", scenario.name(), cells.join(" | ")));
}

/// Prints one line of a benchmark's output (for BENCHMARKS.md): the handler crate's clippy.toml bans the standard
/// streams, which is right for handlers and wrong for this one reporting spot in its tests.
#[expect(clippy::disallowed_macros, reason = "benchmark output in the handler crate's tests, never in a handler")]
fn report(line: &str) {
    println!("{line}");
}

/// The planted-bug table in BENCHMARKS.md: per strategy, the share of campaigns that found the bug within 1,000
/// seeds and the median seeds to the first failure.
#[test]
#[ignore = "a benchmark: run in release, see BENCHMARKS.md"]
fn planted_bug_table() {
    report("| bug | scenario | fifo | random | pct(depth=2) | pct(depth=3) |");
    report("|---|---|---|---|---|---|");
    row("read-modify-write outside the transaction", &PurchaseRace::<RmwOutsideTx>::racing());
    row("balance check outside the transaction", &PurchaseRace::<CheckOutsideTx>::racing());
    row("cache written before the commit", &PurchaseRace::<CacheBeforeCommit>::racing());
    row("retry reuses the first attempt's read", &PurchaseRace::<RetryReusesRead>::with_faults());
    row("ID counter read outside the transaction", &ProductRace::<CounterOutsideTx>::new());
    row("customer cached without expiry", &PurchaseRace::<CustomerCachedForever>::cache_failures());
    row("invalidation before the commit", &PurchaseRace::<InvalidateBeforeCommit>::racing());
}

/// Runs 10,000 seeds of `scenario` with every strategy and prints seeds per second.
#[expect(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a benchmark in the handler crate's tests: wall time is printed for BENCHMARKS.md, never asserted on \
              and never seen by a handler"
)]
fn ten_thousand<S: Scenario>(scenario: &S) {
    for strategy in [Strategy::Fifo, Strategy::Random, Strategy::Pct { depth: 2 }, Strategy::Pct { depth: 3 }] {
        let started = std::time::Instant::now();
        let summary = sim::check(scenario, &Config::seeds(10_000).strategy(strategy.clone()));
        let seconds = started.elapsed().as_secs_f64();
        report(&format!(
            "{}: {strategy}: {} seeds, {} steps, {:.0} seeds/s",
            scenario.name(),
            summary.seeds,
            summary.steps,
            summary.seeds as f64 / seconds
        ));
    }
}

/// Every fixed twin (the shop's own handlers) passes 10,000 seeds of each scenario a planted bug is hunted in.
#[test]
#[ignore = "long: run in release, see BENCHMARKS.md"]
fn fixed_twins_pass_ten_thousand_seeds() {
    ten_thousand(&PurchaseRace::<RealShop>::racing());
    ten_thousand(&PurchaseRace::<RealShop>::cache_failures());
    ten_thousand(&PurchaseRace::<RealShop>::with_faults());
    ten_thousand(&ProductRace::<RealShop>::new());
}
