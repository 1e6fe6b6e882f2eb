//! The simulator on small scenarios: strategies, determinism, deadlock and panic reports, faults as data,
//! "sometimes" coverage, shrinking and replay lines.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use effects::sandbox::Sandbox;
use effects::sandbox::sim::{
    self, Config, Draw, Executor, FailureKind, FaultKind, FaultMenu, FaultPlan, Interleaving, ReplayLine,
    RequestFuture, Scenario, SimError, Sometimes, Step, Strategy, View, Violation, ensure,
};
use effects::{Cache, Clock, Effects, Events, Record, Store, StoreError, Transaction};

#[derive(serde::Serialize, serde::Deserialize, Debug)]
struct Hits(u64);
impl Record for Hits {
    const COLLECTION: &'static str = "hits";
}
effects::cacheable!(Hits, "test.Hits", version = 1);

/// How a hit is counted: the variants of one handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counting {
    /// Read and write in two transactions: concurrent hits are lost.
    TwoTransactions,
    /// Read and write in one transaction, retrying conflicts: correct.
    OneTransaction,
    /// Opens a second transaction while the first is open: a deadlock.
    Nested,
    /// Panics on the third hit.
    Panicky,
    /// Sleeps a drawn time before counting, in one transaction.
    Sleepy,
    /// Logs a number from a process-wide counter: outside the effects, so reruns differ.
    Global,
    /// Polls the cache until a key appears that nobody writes: never ends.
    Spinning,
}

async fn hit<E: Effects>(fx: &E, how: Counting, delay_ms: u64) -> Result<u64, StoreError> {
    static GLOBAL: AtomicU64 = AtomicU64::new(0);
    match how {
        Counting::TwoTransactions => {
            let n = fx.store().get::<Hits>("page").await?.map_or(0, |h| h.0);
            fx.store().upsert("page", &Hits(n + 1)).await?;
            Ok(n + 1)
        }
        Counting::OneTransaction | Counting::Sleepy | Counting::Panicky | Counting::Global => {
            if how == Counting::Sleepy {
                fx.clock().sleep(Duration::from_millis(delay_ms)).await;
            }
            if how == Counting::Global {
                let n = GLOBAL.fetch_add(1, Ordering::Relaxed);
                fx.events().info(format!("global {n}"), vec![]);
            }
            loop {
                let attempt = async {
                    let mut tx = fx.store().begin().await?;
                    let n = tx.get::<Hits>("page").await?.map_or(0, |h| h.0);
                    assert!(!(how == Counting::Panicky && n == 2), "third hit");
                    tx.upsert("page", &Hits(n + 1)).await?;
                    tx.commit().await?;
                    Ok::<_, StoreError>(n + 1)
                };
                match attempt.await {
                    Err(e) if e.is_retryable() => continue,
                    other => return other,
                }
            }
        }
        Counting::Nested => {
            let mut tx = fx.store().begin().await?;
            let n = tx.get::<Hits>("page").await?.map_or(0, |h| h.0);
            fx.store().upsert("page", &Hits(n + 1)).await?;
            tx.commit().await?;
            Ok(n + 1)
        }
        Counting::Spinning => {
            while fx.cache().get::<Hits>("never").await.ok().flatten().is_none() {}
            Ok(0)
        }
    }
}

struct Hitting {
    how: Counting,
    faults: Vec<FaultKind>,
    sometimes: bool,
}

fn hitting(how: Counting) -> Hitting {
    Hitting { how, faults: Vec::new(), sometimes: false }
}

impl Scenario for Hitting {
    type State = ();
    type Request = u64;
    type Outcome = Result<u64, StoreError>;

    fn name(&self) -> &str {
        "hits"
    }

    fn setup(&self, _fx: &Sandbox) {}

    fn requests(&self, draw: &mut Draw, _: &()) -> Vec<u64> {
        (0..draw.between(1, 5)).map(|_| draw.below(1_000)).collect()
    }

    fn faults(&self, draw: &mut Draw, requests: &[u64]) -> FaultPlan {
        FaultPlan::draw(
            draw,
            &FaultMenu::new(self.faults.iter().copied()).max_faults(2).within_calls(6),
            requests.len(),
        )
    }

    fn run(&self, fx: &Sandbox, _: &(), delay: &u64) -> RequestFuture<Self::Outcome> {
        let (fx, how, delay) = (fx.clone(), self.how, *delay);
        Box::pin(async move { hit(&fx, how, delay).await })
    }

    fn always(&self, view: &View<'_, Self>) -> Result<(), Violation> {
        let hits = view.fx.store().peek::<Hits>("page").unwrap().map_or(0, |h| h.0);
        let done = view.tasks.iter().filter(|t| matches!(t.outcome, Some(Ok(_)))).count() as u64;
        ensure(hits >= done, "a hit that returned is counted", || format!("{done} returned, {hits} counted"))
    }

    fn at_end(&self, view: &View<'_, Self>) -> Result<(), Violation> {
        let hits = view.fx.store().peek::<Hits>("page").unwrap().map_or(0, |h| h.0);
        let ok = view.tasks.iter().filter(|t| matches!(t.outcome, Some(Ok(_)))).count() as u64;
        ensure(hits == ok, "every hit counted once", || format!("{ok} hits returned, {hits} counted"))
    }

    fn sometimes(&self) -> Vec<Sometimes<Self>> {
        if !self.sometimes {
            return Vec::new();
        }
        vec![
            Sometimes { name: "two hits in flight at once", reached: |v| v.in_flight().count() >= 2 },
            Sometimes {
                name: "a hit returned 99",
                reached: |v| v.tasks.iter().any(|t| matches!(t.outcome, Some(Ok(99)))),
            },
        ]
    }
}

#[test]
fn a_lost_update_is_found_shrunk_and_replayed_by_every_exploring_strategy() {
    for strategy in [Strategy::Random, Strategy::Pct { depth: 2 }, Strategy::Pct { depth: 3 }] {
        let failure =
            sim::simulate(&hitting(Counting::TwoTransactions), &Config::seeds(200).strategy(strategy.clone()))
                .expect_err("the lost update is found");
        // Caught after the step where the second write lands, before the end of the run.
        assert!(
            matches!(failure.kind, FailureKind::Invariant { name: "a hit that returned is counted", .. }),
            "{strategy}: {failure}"
        );
        assert_eq!(failure.shrunk.requests, 2, "{failure}");
        assert!(failure.shrunk.preemptions <= 2, "{failure}");
        let line: ReplayLine = failure.replay.to_string().parse().unwrap();
        assert_eq!(line, failure.replay);
        let again = sim::replay(&hitting(Counting::TwoTransactions), &line).unwrap_err();
        assert!(again.kind.same_as(&failure.kind), "{again}");
        assert_eq!(again.trace.lines().skip(1).collect::<Vec<_>>(), failure.trace.lines().skip(1).collect::<Vec<_>>());
    }
}

#[test]
fn fifo_alternates_ready_tasks_at_every_effect_and_replay_follows_a_schedule() {
    let run = |strategy: Strategy| {
        let fx = Sandbox::new(1);
        let mut executor = Executor::new(&fx, 1, strategy, 1);
        for id in [0, 1] {
            let fx = fx.clone();
            executor.spawn(
                id,
                Box::pin(async move {
                    for _ in 0..3 {
                        let _ = fx.cache().get::<Hits>("k").await;
                    }
                }),
            );
        }
        while executor.step() != Step::Done {}
        (executor.interleaving().to_string(), executor.preemptions())
    };
    // Each task stops at three effects and then ends: four steps each, in turn; the last switch is no
    // preemption, since task 0 had ended.
    assert_eq!(run(Strategy::Fifo), ("0.1.0.1.0.1.0.1".to_owned(), 6));
    let schedule: Interleaving = "1x4.0x4".parse().unwrap();
    assert_eq!(run(Strategy::Replay(schedule)), ("1x4.0x4".to_owned(), 0));
    // A schedule naming a task that does not exist skips it; when it runs out, the last task goes on.
    assert_eq!(run(Strategy::Replay("7.0.1".parse().unwrap())).0, "0.1x4.0x3");
}

#[test]
fn the_correct_handler_passes_every_strategy() {
    for strategy in [Strategy::Fifo, Strategy::Random, Strategy::Pct { depth: 3 }] {
        let summary = sim::check(&hitting(Counting::OneTransaction), &Config::seeds(100).strategy(strategy));
        assert_eq!((summary.seeds, summary.budget_exhausted), (100, false));
    }
}

#[test]
fn a_run_is_a_function_of_its_seed_and_strategy() {
    let trace = |seed, strategy| {
        let failure = sim::simulate(
            &hitting(Counting::TwoTransactions),
            &Config::seeds(1).first_seed(seed).strategy(strategy).shrink_runs(0),
        );
        failure.map(|_| String::new()).unwrap_or_else(|f| f.trace)
    };
    for seed in 0..20 {
        assert_eq!(trace(seed, Strategy::Random), trace(seed, Strategy::Random));
    }
}

#[test]
fn nested_transactions_are_a_deadlock_reported_with_each_tasks_last_effect() {
    let failure = sim::simulate(&hitting(Counting::Nested), &Config::seeds(1)).unwrap_err();
    let FailureKind::Deadlock { tasks } = &failure.kind else { panic!("{failure}") };
    assert_eq!(failure.shrunk.requests, 1, "{failure}");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].1, "store.begin", "{failure}");
    assert!(failure.to_string().contains("store.begin"));
}

#[test]
fn a_panicking_handler_is_reported_with_its_message() {
    let failure = sim::simulate(&hitting(Counting::Panicky), &Config::seeds(50)).unwrap_err();
    let FailureKind::Panic { message, .. } = &failure.kind else { panic!("{failure}") };
    assert_eq!(message, "third hit");
    assert_eq!(failure.shrunk.requests, 3, "{failure}");
}

#[test]
fn sleeping_tasks_advance_the_manual_clock_when_nothing_else_is_ready() {
    let summary = sim::check(&hitting(Counting::Sleepy), &Config::seeds(30).strategy(Strategy::Random));
    assert_eq!(summary.seeds, 30);
    let line = ReplayLine { seed: 3, requests: None, faults: None, schedule: Interleaving::default() };
    let trace = sim::replay(&hitting(Counting::Sleepy), &line).unwrap();
    let last = trace.lines().rev().find(|l| l.contains("store.commit")).unwrap();
    assert!(!last.starts_with("t=1700000000000 "), "time moved to the sleepers' deadlines: {last}");
}

#[test]
fn state_outside_the_effects_is_caught_as_nondeterminism_when_the_failing_seed_reruns() {
    // A failure is needed to trigger the rerun: the at-end check fails on purpose when a global shows up.
    struct Leaky(Hitting);
    impl Scenario for Leaky {
        type State = ();
        type Request = u64;
        type Outcome = Result<u64, StoreError>;
        fn name(&self) -> &str {
            "leaky"
        }
        fn setup(&self, fx: &Sandbox) {
            self.0.setup(fx);
        }
        fn requests(&self, draw: &mut Draw, state: &()) -> Vec<u64> {
            self.0.requests(draw, state)
        }
        fn run(&self, fx: &Sandbox, state: &(), request: &u64) -> RequestFuture<Self::Outcome> {
            self.0.run(fx, state, request)
        }
        fn at_end(&self, _: &View<'_, Self>) -> Result<(), Violation> {
            Err(Violation::new("always fails", "to force a rerun"))
        }
    }
    let failure = sim::simulate(&Leaky(hitting(Counting::Global)), &Config::seeds(1)).unwrap_err();
    let FailureKind::Nondeterministic { first, second } = &failure.kind else { panic!("{failure}") };
    assert!(first.contains("INFO global") && second.contains("INFO global") && first != second, "{failure}");
}

#[test]
fn a_run_that_never_ends_hits_the_step_limit() {
    let failure = sim::simulate(&hitting(Counting::Spinning), &Config::seeds(1).max_steps(500)).unwrap_err();
    assert_eq!(failure.kind, FailureKind::StepLimit { steps: 500 });
}

#[test]
fn faults_are_drawn_per_run_printed_and_shrunk_away_when_not_needed() {
    let scenario =
        Hitting { faults: vec![FaultKind::StoreConflict, FaultKind::CacheDown], ..hitting(Counting::TwoTransactions) };
    let failure = sim::simulate(&scenario, &Config::seeds(200).strategy(Strategy::Random)).unwrap_err();
    assert_eq!((failure.shrunk.requests, failure.shrunk.faults), (2, 0), "{failure}");
    assert_eq!(failure.faults, "none");
}

#[test]
fn store_conflicts_from_the_plan_are_retried_by_a_correct_handler() {
    let scenario = Hitting { faults: vec![FaultKind::StoreConflict], ..hitting(Counting::OneTransaction) };
    let summary = sim::check(&scenario, &Config::seeds(100).strategy(Strategy::Random));
    assert_eq!(summary.seeds, 100);
    let fx = Sandbox::new(1);
    let plan = FaultPlan::draw(&mut Draw::new(5), &FaultMenu::new([FaultKind::StoreConflict]).max_faults(3), 2);
    assert!(plan.to_string().contains("store.conflict@") || plan.0.is_empty());
    fx.faults().store_with(effects::sandbox::StoreFault::Conflict, effects::sandbox::Schedule::Next(1));
    let err = fx.run(fx.store().get::<Hits>("page")).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }) && err.is_retryable() && err.kind() == "conflict");
}

#[test]
fn a_path_never_reached_fails_the_campaign() {
    let scenario = Hitting { sometimes: true, ..hitting(Counting::OneTransaction) };
    let failure = sim::simulate(&scenario, &Config::seeds(50).strategy(Strategy::Random)).unwrap_err();
    assert_eq!(failure.kind, FailureKind::NeverReached { names: vec!["a hit returned 99"] });
}

#[test]
fn replay_lines_round_trip_and_bad_ones_are_named() {
    let line: ReplayLine = "seed=17 requests=0,3 faults=- schedule=0x5.3x7.0".parse().unwrap();
    assert_eq!(line.seed, 17);
    assert_eq!(line.requests, Some(vec![0, 3]));
    assert_eq!(line.faults, Some(vec![]));
    assert_eq!(line.schedule.0.len(), 13);
    assert_eq!(line.to_string(), "seed=17 requests=0,3 faults=- schedule=0x5.3x7.0");
    assert_eq!("seed=1 requests=all faults=all schedule=-".parse::<ReplayLine>().unwrap().requests, None);
    assert_eq!(
        "seed=x requests=all faults=all schedule=-".parse::<ReplayLine>(),
        Err(SimError::BadReplay { field: "seed", value: "x".into() })
    );
    assert_eq!("seed=1 faults=all schedule=-".parse::<ReplayLine>(), Err(SimError::MissingField("requests")));
    assert!(matches!(
        "seed=1 requests=all faults=all schedule=0x0".parse::<ReplayLine>(),
        Err(SimError::BadReplay { field: "schedule", .. })
    ));
    assert!(matches!(
        "seed=1 requests=all faults=all schedule=1x99999999".parse::<ReplayLine>(),
        Err(SimError::BadReplay { field: "schedule", .. })
    ));
    assert!(matches!(
        "seed=1 requests=1,,2 faults=all schedule=-".parse::<ReplayLine>(),
        Err(SimError::BadReplay { field: "requests", .. })
    ));
    assert!(matches!("garbage".parse::<ReplayLine>(), Err(SimError::BadReplay { field: "line", .. })));
}

#[test]
fn a_replay_line_naming_requests_that_do_not_exist_runs_what_exists() {
    let line: ReplayLine = "seed=2 requests=0,99 faults=7 schedule=5x3.0".parse().unwrap();
    assert!(sim::replay(&hitting(Counting::OneTransaction), &line).is_ok());
}
