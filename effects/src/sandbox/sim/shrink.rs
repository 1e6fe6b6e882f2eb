//! Shrinking: a failing run made smaller (fewer requests, fewer faults, fewer preemptions) while it fails the same
//! way.

use super::executor::{Interleaving, Strategy};
use super::runner::{Config, Run, Spec, replay_spec, run_once};
use super::scenario::Scenario;

/// Smaller variants of a failing run: without one request, without one fault, without some of its schedule's
/// switches (the runs dropped are then left to the replay's "keep running the same task" fallback).
fn candidates(base: &Spec, run: &Run) -> Vec<Spec> {
    let mut out = Vec::new();
    for i in (0..run.requests.len()).rev() {
        let mut requests = run.requests.clone();
        requests.remove(i);
        out.push(Spec { requests: Some(requests), ..base.clone() });
    }
    for i in (0..run.faults.len()).rev() {
        let mut faults = run.faults.clone();
        faults.remove(i);
        out.push(Spec { faults: Some(faults), ..base.clone() });
    }
    let runs = run.interleaving.runs();
    let mut chunk = runs.len() / 2;
    while chunk >= 1 {
        let mut start = 1;
        while start < runs.len() {
            let end = (start + chunk).min(runs.len());
            let kept: Vec<(u32, u32)> = runs[..start].iter().chain(&runs[end..]).copied().collect();
            out.push(Spec { strategy: Strategy::Replay(Interleaving::from_runs(&kept)), ..base.clone() });
            start = end;
        }
        chunk /= 2;
    }
    out
}

/// Greedily makes `run` smaller while it fails the same way; returns the smallest run and the runs spent.
pub(super) fn shrink<S: Scenario>(
    scenario: &S,
    config: &Config,
    pct_steps: u64,
    seed: u64,
    mut best: Run,
) -> (Run, u32) {
    let Some(kind) = best.failure.clone() else { return (best, 0) };
    let mut spent = 0u32;
    'improve: loop {
        let base = replay_spec(seed, &best);
        for candidate in candidates(&base, &best) {
            if spent >= config.shrink_runs {
                break 'improve;
            }
            spent += 1;
            let run = run_once(scenario, &candidate, config, pct_steps, &[]);
            if run.failure.as_ref().is_some_and(|k| k.same_as(&kind)) && run.size < best.size {
                best = run;
                continue 'improve;
            }
        }
        break;
    }
    (best, spent)
}
