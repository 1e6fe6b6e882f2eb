//! What a campaign reports: a [`Failure`] (with its one-line [`ReplayLine`]) or a [`Summary`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::SimError;
use super::executor::Interleaving;

/// What went wrong in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// An invariant ([`Scenario::always`](super::Scenario::always) or
    /// [`Scenario::at_end`](super::Scenario::at_end)) was broken.
    Invariant {
        /// The invariant's name.
        name: &'static str,
        /// What was seen.
        message: String,
    },
    /// Tasks wait for each other, or for something that never comes: each with its last effect.
    Deadlock {
        /// `(task, last effect)` for every task that had not completed.
        tasks: Vec<(u32, String)>,
    },
    /// A task panicked.
    Panic {
        /// The task.
        task: u32,
        /// The panic message.
        message: String,
    },
    /// The run did not finish within the step limit (a livelock, or a limit set too low).
    StepLimit {
        /// The limit.
        steps: u64,
    },
    /// The same seed and schedule gave another trace: something outside the effects (a `HashMap`'s order, a
    /// global, the real clock) steered the run.
    Nondeterministic {
        /// The first line where the two traces differ, from each run.
        first: String,
        /// The same line in the second run.
        second: String,
    },
    /// The campaign passed every seed but never reached these [`Sometimes`](super::Sometimes) paths.
    NeverReached {
        /// The paths' names.
        names: Vec<&'static str>,
    },
}

impl FailureKind {
    /// Whether `other` is the same failure, for shrinking: the same invariant, or the same kind of failure.
    pub fn same_as(&self, other: &FailureKind) -> bool {
        match (self, other) {
            (FailureKind::Invariant { name: a, .. }, FailureKind::Invariant { name: b, .. }) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Invariant { name, message } => write!(f, "invariant `{name}` broken: {message}"),
            FailureKind::Deadlock { tasks } => {
                f.write_str("deadlock: no task can run and nothing sleeps; last effect of each waiting task:")?;
                for (task, effect) in tasks {
                    write!(f, "\n    task {task}: {effect}")?;
                }
                Ok(())
            }
            FailureKind::Panic { task, message } => write!(f, "task {task} panicked: {message}"),
            FailureKind::StepLimit { steps } => write!(f, "the run did not finish within {steps} steps"),
            FailureKind::Nondeterministic { first, second } => write!(
                f,
                "nondeterministic: the same seed and schedule gave another trace (code outside the effects?)\n    \
                 first run:  {first}\n    second run: {second}"
            ),
            FailureKind::NeverReached { names } => {
                write!(f, "every seed passed, but these paths were never reached: {}", names.join(", "))
            }
        }
    }
}

/// Everything needed to rerun one run exactly: the seed, which of its requests and faults to keep (by index in
/// the seed's lists; `None` keeps all) and the schedule. One line of text:
/// `seed=17 requests=0,3 faults=- schedule=0x5.3x7.0x3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayLine {
    /// The seed.
    pub seed: u64,
    /// The requests kept; `None` for all.
    pub requests: Option<Vec<usize>>,
    /// The faults kept; `None` for all.
    pub faults: Option<Vec<usize>>,
    /// The schedule.
    pub schedule: Interleaving,
}

fn write_list(f: &mut fmt::Formatter<'_>, list: Option<&Vec<usize>>) -> fmt::Result {
    match list {
        None => f.write_str("all"),
        Some(list) if list.is_empty() => f.write_str("-"),
        Some(list) => {
            for (i, n) in list.iter().enumerate() {
                write!(f, "{}{n}", if i == 0 { "" } else { "," })?;
            }
            Ok(())
        }
    }
}

impl fmt::Display for ReplayLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seed={} requests=", self.seed)?;
        write_list(f, self.requests.as_ref())?;
        f.write_str(" faults=")?;
        write_list(f, self.faults.as_ref())?;
        write!(f, " schedule={}", self.schedule)
    }
}

fn parse_list(field: &'static str, value: &str) -> Result<Option<Vec<usize>>, SimError> {
    match value {
        "all" => Ok(None),
        "-" => Ok(Some(Vec::new())),
        _ => value
            .split(',')
            .map(|n| n.parse::<usize>().map_err(|_| SimError::BadReplay { field, value: value.to_owned() }))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
    }
}

impl FromStr for ReplayLine {
    type Err = SimError;

    fn from_str(line: &str) -> Result<Self, SimError> {
        let mut fields = BTreeMap::new();
        for word in line.split_whitespace() {
            let (key, value) =
                word.split_once('=').ok_or_else(|| SimError::BadReplay { field: "line", value: word.to_owned() })?;
            fields.insert(key, value);
        }
        let field = |name: &'static str| fields.get(name).copied().ok_or(SimError::MissingField(name));
        let seed = field("seed")?;
        Ok(Self {
            seed: seed.parse().map_err(|_| SimError::BadReplay { field: "seed", value: seed.to_owned() })?,
            requests: parse_list("requests", field("requests")?)?,
            faults: parse_list("faults", field("faults")?)?,
            schedule: field("schedule")?.parse()?,
        })
    }
}

/// How big a failing run is: what shrinking makes smaller, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size {
    /// Requests run.
    pub requests: usize,
    /// Faults planned.
    pub faults: usize,
    /// Preemptions: steps where the running task could have gone on but another ran.
    pub preemptions: u32,
    /// Steps.
    pub steps: u64,
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests, {} faults, {} preemptions, {} steps",
            self.requests, self.faults, self.preemptions, self.steps
        )
    }
}

/// A failing run, shrunk and confirmed to replay. Its `Display` (and its `Debug`, so `unwrap` prints it) is the
/// full report: what broke, the requests and faults, the replay line and the trace.
#[derive(Clone)]
pub struct Failure {
    /// The scenario's name.
    pub scenario: String,
    /// What went wrong (in the shrunk run).
    pub kind: FailureKind,
    /// The strategy that found it.
    pub strategy: String,
    /// Seeds run up to and including the failing one.
    pub seeds_run: u64,
    /// The failing run's size when found.
    pub found: Size,
    /// Its size after shrinking.
    pub shrunk: Size,
    /// Runs spent shrinking.
    pub shrink_runs: u32,
    /// The shrunk run's requests, `#index request`.
    pub requests: Vec<String>,
    /// The shrunk run's faults.
    pub faults: String,
    /// Reruns the shrunk run exactly ([`replay`](super::replay)).
    pub replay: ReplayLine,
    /// The shrunk run's trace.
    pub trace: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "simulation `{}` failed (strategy {}, seed {}, after {} seeds):",
            self.scenario, self.strategy, self.replay.seed, self.seeds_run
        )?;
        writeln!(f, "  {}", self.kind)?;
        writeln!(f, "  found with {}; shrunk in {} runs to {}", self.found, self.shrink_runs, self.shrunk)?;
        writeln!(f, "  requests: {}", if self.requests.is_empty() { "none".into() } else { self.requests.join("; ") })?;
        writeln!(f, "  faults: {}", self.faults)?;
        writeln!(f, "  replay: {}", self.replay)?;
        writeln!(f, "  trace of the shrunk run:")?;
        for line in self.trace.lines() {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A campaign that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Seeds run.
    pub seeds: u64,
    /// Steps run, all seeds together.
    pub steps: u64,
    /// Whether the step budget stopped the campaign before its last seed.
    pub budget_exhausted: bool,
    /// How many runs reached each [`Sometimes`](super::Sometimes) path.
    pub reached: BTreeMap<&'static str, u64>,
}
