//! The check runner: many seeds, then confirm, shrink and replay the first failure.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::executor::{Executor, Interleaving, Step, Strategy};
use super::plan::Draw;
use super::report::{Failure, FailureKind, ReplayLine, Size, Summary};
use super::scenario::{Scenario, Sometimes, TaskView, View};
use super::shrink::shrink;
use crate::Effects;
use crate::clock::Clock;
use crate::sandbox::Sandbox;

/// How a campaign runs. Budgets count seeds and steps, never wall time, so a campaign's result is the same on
/// every machine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Seeds to run: `first_seed`, `first_seed + 1`, ...
    pub seeds: u64,
    /// The first seed.
    pub first_seed: u64,
    /// How tasks are scheduled.
    pub strategy: Strategy,
    /// Steps one run may take before it fails as [`FailureKind::StepLimit`].
    pub max_steps: u64,
    /// Steps all seeds together may take; the campaign stops early (and passes) past it.
    pub step_budget: Option<u64>,
    /// Runs spent shrinking a failure at most.
    pub shrink_runs: u32,
    /// The run length PCT spreads its change points over; `None` measures one FIFO run of the first seed.
    pub pct_steps: Option<u64>,
}

impl Default for Config {
    /// 1,000 seeds from 0, [`Strategy::Pct`] of depth 3, 100,000 steps a run, no step budget, 2,000 shrink
    /// runs. The seed count is the documented hunting budget: every planted shop bug is found within it (see
    /// BENCHMARKS.md); a debug build runs it in a few seconds for the shop's scenarios.
    fn default() -> Self {
        Self {
            seeds: 1_000,
            first_seed: 0,
            strategy: Strategy::Pct { depth: 3 },
            max_steps: 100_000,
            step_budget: None,
            shrink_runs: 2_000,
            pct_steps: None,
        }
    }
}

impl Config {
    /// The defaults with `seeds` seeds.
    pub fn seeds(seeds: u64) -> Self {
        Self { seeds, ..Self::default() }
    }

    /// Starts at seed `seed`.
    #[must_use]
    pub fn first_seed(mut self, seed: u64) -> Self {
        self.first_seed = seed;
        self
    }

    /// Schedules by `strategy`.
    #[must_use]
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Fails a run past `steps` steps.
    #[must_use]
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps.min(u64::from(super::MAX_STEPS_LIMIT));
        self
    }

    /// Stops the campaign once its seeds have taken `steps` steps together.
    #[must_use]
    pub fn step_budget(mut self, steps: u64) -> Self {
        self.step_budget = Some(steps);
        self
    }

    /// Spends at most `runs` runs shrinking a failure.
    #[must_use]
    pub fn shrink_runs(mut self, runs: u32) -> Self {
        self.shrink_runs = runs;
        self
    }

    /// PCT spreads its change points over `steps` steps.
    #[must_use]
    pub fn pct_steps(mut self, steps: u64) -> Self {
        self.pct_steps = Some(steps);
        self
    }
}

/// Which run to make: the seed, the requests and faults kept (indices into the seed's lists; `None` keeps all),
/// and the schedule.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub(super) seed: u64,
    pub(super) requests: Option<Vec<usize>>,
    pub(super) faults: Option<Vec<usize>>,
    pub(super) strategy: Strategy,
}

/// What one run did.
#[derive(Debug)]
pub(super) struct Run {
    pub(super) failure: Option<FailureKind>,
    pub(super) trace: String,
    pub(super) interleaving: Interleaving,
    pub(super) size: Size,
    pub(super) requests: Vec<usize>,
    pub(super) faults: Vec<usize>,
    pub(super) described_requests: Vec<String>,
    pub(super) described_faults: String,
    pub(super) reached: BTreeSet<&'static str>,
}

/// The items of `all` at the `kept` indices (all of them for `None`), in index order.
fn keep<T: Clone>(all: &[T], kept: Option<&Vec<usize>>) -> Vec<(usize, T)> {
    match kept {
        None => all.iter().cloned().enumerate().collect(),
        Some(kept) => {
            let kept: BTreeSet<usize> = kept.iter().copied().collect();
            kept.into_iter().filter_map(|i| all.get(i).map(|x| (i, x.clone()))).collect()
        }
    }
}

fn note_reached<S: Scenario>(view: &View<'_, S>, sometimes: &[Sometimes<S>], reached: &mut BTreeSet<&'static str>) {
    for path in sometimes {
        if !reached.contains(path.name) && (path.reached)(view) {
            reached.insert(path.name);
        }
    }
}

/// Runs `spec` once, checking the invariants after every step.
pub(super) fn run_once<S: Scenario>(
    scenario: &S,
    spec: &Spec,
    config: &Config,
    pct_steps: u64,
    sometimes: &[Sometimes<S>],
) -> Run {
    let fx = Sandbox::new(spec.seed);
    let state = scenario.setup(&fx);
    let mut draw = Draw::new(spec.seed);
    let all_requests = scenario.requests(&mut draw, &state);
    let all_faults = scenario.faults(&mut draw, &all_requests);
    let requests = keep(&all_requests, spec.requests.as_ref());
    let faults = keep(&all_faults.0, spec.faults.as_ref());
    let plan = super::FaultPlan(faults.iter().map(|(_, f)| *f).collect());
    fx.tracer().record(format_args!(
        "sim: scenario `{}` seed={} strategy={} requests={} faults={plan}",
        scenario.name(),
        spec.seed,
        spec.strategy,
        requests.len()
    ));
    fx.faults().install_plan(plan.0.clone());

    let mut tasks: Vec<TaskView<S>> = requests
        .iter()
        .map(|(i, request)| TaskView {
            id: u32::try_from(*i).unwrap_or(u32::MAX),
            request: request.clone(),
            started: None,
            finished: None,
            started_step: None,
            finished_step: None,
            outcome: None,
            trace: String::new(),
        })
        .collect();
    let outcomes: Vec<Rc<RefCell<Option<S::Outcome>>>> = tasks.iter().map(|_| Rc::default()).collect();
    let mut executor = Executor::new(&fx, spec.seed, spec.strategy.clone(), pct_steps);
    for (task, slot) in tasks.iter().zip(&outcomes) {
        let future = scenario.run(&fx, &state, &task.request);
        let slot = slot.clone();
        executor.spawn(
            task.id,
            Box::pin(async move {
                let outcome = future.await;
                *slot.borrow_mut() = Some(outcome);
            }),
        );
    }

    let mut reached = BTreeSet::new();
    let failure = loop {
        if executor.steps() >= config.max_steps {
            break Some(FailureKind::StepLimit { steps: config.max_steps });
        }
        let mark = fx.tracer().len();
        let before = fx.clock().now();
        match executor.step() {
            Step::Ran { id, finished } => {
                let Ok(k) = tasks.binary_search_by_key(&id, |t| t.id) else { continue };
                let lines = fx.tracer().text_since(mark);
                let task = &mut tasks[k];
                let step = executor.steps();
                task.started.get_or_insert(before);
                task.started_step.get_or_insert(step);
                task.trace.push_str(&lines);
                if finished && task.finished.is_none() {
                    task.finished = Some(fx.clock().now());
                    task.finished_step = Some(step);
                    task.outcome = outcomes[k].borrow_mut().take();
                }
                let view =
                    View { fx: &fx, state: &state, tasks: &tasks, step: Some((id, lines.as_str())), steps: step };
                note_reached(&view, sometimes, &mut reached);
                if let Err(v) = scenario.always(&view) {
                    break Some(FailureKind::Invariant { name: v.name, message: v.message });
                }
            }
            Step::ClockAdvanced => {
                let view = View { fx: &fx, state: &state, tasks: &tasks, step: None, steps: executor.steps() };
                if let Err(v) = scenario.always(&view) {
                    break Some(FailureKind::Invariant { name: v.name, message: v.message });
                }
            }
            Step::Done => {
                let view = View { fx: &fx, state: &state, tasks: &tasks, step: None, steps: executor.steps() };
                note_reached(&view, sometimes, &mut reached);
                break scenario
                    .always(&view)
                    .and_then(|()| scenario.at_end(&view))
                    .err()
                    .map(|v| FailureKind::Invariant { name: v.name, message: v.message });
            }
            Step::Deadlock(stuck) => break Some(FailureKind::Deadlock { tasks: stuck }),
            Step::Panicked { id, message } => break Some(FailureKind::Panic { task: id, message }),
        }
    };
    let interleaving = executor.interleaving();
    let size = Size {
        requests: requests.len(),
        faults: faults.len(),
        preemptions: executor.preemptions(),
        steps: executor.steps(),
    };
    drop(executor);
    if let Some(kind) = &failure {
        fx.tracer().record(format_args!("sim: failed: {}", kind.to_string().replace('\n', " | ")));
    }
    Run {
        failure,
        trace: fx.trace(),
        interleaving,
        size,
        described_requests: requests.iter().map(|(i, r)| format!("#{i} {r:?}")).collect(),
        described_faults: plan.to_string(),
        requests: requests.into_iter().map(|(i, _)| i).collect(),
        faults: faults.into_iter().map(|(i, _)| i).collect(),
        reached,
    }
}

/// The spec that reruns `run` exactly.
pub(super) fn replay_spec(seed: u64, run: &Run) -> Spec {
    Spec {
        seed,
        requests: Some(run.requests.clone()),
        faults: Some(run.faults.clone()),
        strategy: Strategy::Replay(run.interleaving.clone()),
    }
}

/// The first line where two traces differ.
fn first_difference(a: &str, b: &str) -> (String, String) {
    let mut lines = a.lines().zip(b.lines());
    match lines.find(|(x, y)| x != y) {
        Some((x, y)) => (x.to_owned(), y.to_owned()),
        None => {
            let (na, nb) = (a.lines().count(), b.lines().count());
            (format!("({na} lines)"), format!("({nb} lines)"))
        }
    }
}

fn failure_of(
    scenario: &str,
    strategy: String,
    seeds_run: u64,
    found: Size,
    shrink_runs: u32,
    seed: u64,
    run: Run,
) -> Failure {
    Failure {
        scenario: scenario.to_owned(),
        kind: run.failure.clone().unwrap_or(FailureKind::StepLimit { steps: 0 }),
        strategy,
        seeds_run,
        found,
        shrunk: run.size,
        shrink_runs,
        requests: run.described_requests.clone(),
        faults: run.described_faults.clone(),
        replay: ReplayLine {
            seed,
            requests: Some(run.requests.clone()),
            faults: Some(run.faults.clone()),
            schedule: run.interleaving.clone(),
        },
        trace: run.trace,
    }
}

/// Confirms, shrinks and packages the failing `run` of `seed`.
fn investigate<S: Scenario>(
    scenario: &S,
    config: &Config,
    pct_steps: u64,
    seed: u64,
    seeds_run: u64,
    run: Run,
) -> Failure {
    let strategy = config.strategy.to_string();
    let found = run.size;
    // The same seed and strategy must give the same trace, byte for byte.
    let again = run_once(
        scenario,
        &Spec { seed, requests: None, faults: None, strategy: config.strategy.clone() },
        config,
        pct_steps,
        &[],
    );
    if again.trace != run.trace {
        let (first, second) = first_difference(&run.trace, &again.trace);
        let run = Run { failure: Some(FailureKind::Nondeterministic { first, second }), ..run };
        return failure_of(scenario.name(), strategy, seeds_run, found, 0, seed, run);
    }
    let (shrunk, spent) = shrink(scenario, config, pct_steps, seed, run);
    // The printed line must rerun the shrunk run exactly.
    let replayed = run_once(scenario, &replay_spec(seed, &shrunk), config, pct_steps, &[]);
    if strip_header(&replayed.trace) != strip_header(&shrunk.trace) {
        let (first, second) = first_difference(&shrunk.trace, &replayed.trace);
        let run = Run { failure: Some(FailureKind::Nondeterministic { first, second }), ..shrunk };
        return failure_of(scenario.name(), strategy, seeds_run, found, spent, seed, run);
    }
    failure_of(scenario.name(), strategy, seeds_run, found, spent, seed, shrunk)
}

/// A trace without its first simulator line, which names the strategy (a replay of a random run says "replay").
fn strip_header(trace: &str) -> String {
    trace.lines().filter(|l| !l.contains(" sim: scenario `")).collect::<Vec<_>>().join("\n")
}

fn estimate_steps<S: Scenario>(scenario: &S, config: &Config) -> u64 {
    match (&config.strategy, config.pct_steps) {
        (Strategy::Pct { .. }, None) => {
            let spec = Spec { seed: config.first_seed, requests: None, faults: None, strategy: Strategy::Fifo };
            run_once(scenario, &spec, config, 1, &[]).size.steps.max(1)
        }
        (_, steps) => steps.unwrap_or(1),
    }
}

/// Runs `scenario` for `config.seeds` seeds. The first failing seed is rerun to confirm a byte-identical trace,
/// shrunk (fewer requests, fewer faults, fewer preemptions) and replayed from its [`ReplayLine`] before it is
/// returned. A campaign whose seeds all pass still fails if a [`Sometimes`] path was never reached.
///
/// # Errors
/// The [`Failure`], with its report.
pub fn simulate<S: Scenario>(scenario: &S, config: &Config) -> Result<Summary, Box<Failure>> {
    let sometimes = scenario.sometimes();
    let pct_steps = estimate_steps(scenario, config);
    let mut reached: BTreeMap<&'static str, u64> = sometimes.iter().map(|s| (s.name, 0)).collect();
    let mut summary = Summary { seeds: 0, steps: 0, budget_exhausted: false, reached: BTreeMap::new() };
    for n in 0..config.seeds {
        let seed = config.first_seed.wrapping_add(n);
        let spec = Spec { seed, requests: None, faults: None, strategy: config.strategy.clone() };
        let run = run_once(scenario, &spec, config, pct_steps, &sometimes);
        summary.seeds += 1;
        summary.steps += run.size.steps;
        for name in &run.reached {
            *reached.entry(name).or_default() += 1;
        }
        if run.failure.is_some() {
            return Err(Box::new(investigate(scenario, config, pct_steps, seed, n + 1, run)));
        }
        if config.step_budget.is_some_and(|budget| summary.steps >= budget) {
            summary.budget_exhausted = n + 1 < config.seeds;
            break;
        }
    }
    let never: Vec<&'static str> = reached.iter().filter(|(_, n)| **n == 0).map(|(name, _)| *name).collect();
    if !never.is_empty() {
        let size = Size { requests: 0, faults: 0, preemptions: 0, steps: 0 };
        return Err(Box::new(Failure {
            scenario: scenario.name().to_owned(),
            kind: FailureKind::NeverReached { names: never },
            strategy: config.strategy.to_string(),
            seeds_run: summary.seeds,
            found: size,
            shrunk: size,
            shrink_runs: 0,
            requests: Vec::new(),
            faults: "none".into(),
            replay: ReplayLine {
                seed: config.first_seed,
                requests: None,
                faults: None,
                schedule: Interleaving::default(),
            },
            trace: String::new(),
        }));
    }
    summary.reached = reached;
    Ok(summary)
}

/// [`simulate`], panicking with the failure's report: for `#[test]`s.
///
/// # Panics
/// When the campaign fails.
pub fn check<S: Scenario>(scenario: &S, config: &Config) -> Summary {
    match simulate(scenario, config) {
        Ok(summary) => summary,
        Err(failure) => panic!("{failure}"),
    }
}

/// Reruns exactly the run `line` describes (as a [`Failure`] printed it). `Ok` with the trace if it passes.
///
/// # Errors
/// The run's [`Failure`] (not shrunk again).
pub fn replay<S: Scenario>(scenario: &S, line: &ReplayLine) -> Result<String, Box<Failure>> {
    let config = Config::default();
    let spec = Spec {
        seed: line.seed,
        requests: line.requests.clone(),
        faults: line.faults.clone(),
        strategy: Strategy::Replay(line.schedule.clone()),
    };
    let run = run_once(scenario, &spec, &config, 1, &[]);
    if run.failure.is_none() {
        return Ok(run.trace);
    }
    let size = run.size;
    Err(Box::new(failure_of(scenario.name(), "replay".into(), 1, size, 0, line.seed, run)))
}
