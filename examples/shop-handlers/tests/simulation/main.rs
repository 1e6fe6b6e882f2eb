//! The shop's handlers under deterministic simulation: concurrent requests interleaved at every effect, faults
//! drawn per seed, and the README's promises as invariants. Planted bugs (`planted.rs`) must be found,
//! shrunk and replayed; the shop's own handlers, their fixed twins, must pass.
//!
//! The long runs are `#[ignore]`d and recorded in BENCHMARKS.md:
//! `cargo test --release -p example-shop-handlers --test simulation -- --ignored --nocapture`.

mod planted;
mod scenarios;

use effects::sandbox::sim::{self, Config, FailureKind, Scenario, Strategy};
use planted::{
    CacheBeforeCommit, CheckOutsideTx, CounterOutsideTx, CustomerCachedForever, RetryReusesRead, RmwOutsideTx,
};
use scenarios::{ProductRace, PurchaseRace, RealShop};

/// The strategies every campaign here runs.
fn strategies() -> [Strategy; 3] {
    [Strategy::Random, Strategy::Pct { depth: 2 }, Strategy::Pct { depth: 3 }]
}

/// Hunts `scenario` with `config`; the bug must be found, broken invariant `invariant`, shrunk no larger than
/// `max_requests` requests, and its replay line must reproduce it.
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
    found(&PurchaseRace::<RmwOutsideTx>::racing(), &Config::seeds(200), &["credits are conserved", "no overdraft"], 3);
}

#[test]
fn planted_balance_check_outside_the_transaction_is_found() {
    found(&PurchaseRace::<CheckOutsideTx>::racing(), &Config::seeds(200), &["no overdraft"], 3);
}

#[test]
fn planted_cache_write_before_commit_is_found() {
    found(&PurchaseRace::<CacheBeforeCommit>::racing(), &Config::seeds(200), &["reads are fresh within the TTL"], 2);
}

#[test]
fn planted_retry_that_reuses_a_stale_read_is_found() {
    found(
        &PurchaseRace::<RetryReusesRead>::with_faults(),
        &Config::seeds(300),
        &["credits are conserved", "no overdraft"],
        4,
    );
}

#[test]
fn planted_id_counter_outside_the_transaction_is_found() {
    found(&ProductRace::<CounterOutsideTx>::new(), &Config::seeds(200), &["no internal errors"], 2);
}

#[test]
fn planted_customer_cached_forever_is_found() {
    found(
        &PurchaseRace::<CustomerCachedForever>::cache_failures(),
        &Config::seeds(300),
        &["reads are fresh within the TTL"],
        3,
    );
}
