//! What a simulation runs: a [`Scenario`] and the [`View`] its checks look at.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::plan::{Draw, FaultPlan};
use crate::clock::Timestamp;
use crate::sandbox::Sandbox;

/// A broken invariant: its name (the same for every occurrence, so shrinking keeps the same bug) and what was
/// seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The invariant's name.
    pub name: &'static str,
    /// What was seen.
    pub message: String,
}

impl Violation {
    /// Invariant `name` is broken: `message` says how.
    pub fn new(name: &'static str, message: impl Into<String>) -> Self {
        Self { name, message: message.into() }
    }
}

/// Fails invariant `name` with `message` unless `holds`.
///
/// # Errors
/// The [`Violation`] when `holds` is false.
pub fn ensure(holds: bool, name: &'static str, message: impl FnOnce() -> String) -> Result<(), Violation> {
    if holds { Ok(()) } else { Err(Violation::new(name, message())) }
}

/// A path a campaign must reach at least once ("sometimes"): a name and a predicate on a [`View`], tried after
/// every step and at the end of every run.
pub struct Sometimes<S: Scenario + ?Sized> {
    /// The path's name, printed when it was never reached.
    pub name: &'static str,
    /// Whether this view shows the path.
    pub reached: fn(&View<'_, S>) -> bool,
}

impl<S: Scenario + ?Sized> fmt::Debug for Sometimes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sometimes").field("name", &self.name).finish_non_exhaustive()
    }
}

/// One request's task, as the checks see it.
pub struct TaskView<S: Scenario + ?Sized> {
    /// Its number: the request's index in the seed's list (stable while shrinking drops others).
    pub id: u32,
    /// The request.
    pub request: S::Request,
    /// When it first ran.
    pub started: Option<Timestamp>,
    /// When it completed.
    pub finished: Option<Timestamp>,
    /// The step it first ran in (steps count from 1): orders events that share a clock time.
    pub started_step: Option<u64>,
    /// The step it completed in.
    pub finished_step: Option<u64>,
    /// What it returned, once it has.
    pub outcome: Option<S::Outcome>,
    /// The trace lines written while it ran, in order.
    pub trace: String,
}

/// What an invariant looks at: the sandbox (read committed data with
/// [`MemoryStore::peek`](crate::sandbox::MemoryStore::peek)), the setup's state, every task, and the step just run.
pub struct View<'a, S: Scenario + ?Sized> {
    /// The sandbox.
    pub fx: &'a Sandbox,
    /// What [`Scenario::setup`] returned.
    pub state: &'a S::State,
    /// Every request's task, in request order.
    pub tasks: &'a [TaskView<S>],
    /// The task that just ran and the trace lines it wrote in this step; `None` after the clock moved and at the
    /// end of the run.
    pub step: Option<(u32, &'a str)>,
    /// Steps run so far: the logical time of this view (the manual clock often stands still across many steps).
    pub steps: u64,
}

impl<S: Scenario + ?Sized> fmt::Debug for TaskView<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskView")
            .field("id", &self.id)
            .field("request", &self.request)
            .field("started", &self.started)
            .field("finished", &self.finished)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl<S: Scenario + ?Sized> fmt::Debug for View<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("View")
            .field("tasks", &self.tasks)
            .field("step", &self.step)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl<S: Scenario + ?Sized> View<'_, S> {
    /// The task with number `id`.
    pub fn task(&self, id: u32) -> Option<&TaskView<S>> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// The tasks that have started and not finished.
    pub fn in_flight(&self) -> impl Iterator<Item = &TaskView<S>> {
        self.tasks.iter().filter(|t| t.started.is_some() && t.finished.is_none())
    }
}

/// A request's future, owning what it needs.
pub type RequestFuture<O> = Pin<Box<dyn Future<Output = O>>>;

/// A simulated workload: requests drawn from a seed, run concurrently on a [`Sandbox`] under a schedule, with
/// invariants checked after every step and at the end. See the [module docs](super) for a complete example.
pub trait Scenario {
    /// What [`setup`](Scenario::setup) hands to the requests and the checks (IDs it created, starting balances).
    type State;
    /// One request: plain data, printed with failures (its `Debug`).
    type Request: fmt::Debug + Clone;
    /// What one request returns (a handler's `Result`, say).
    type Outcome: fmt::Debug + 'static;

    /// The scenario's name, for reports.
    fn name(&self) -> &str;

    /// Prepares the world before the requests run, on [`Sandbox::run`] with no faults and no simulation.
    fn setup(&self, fx: &Sandbox) -> Self::State;

    /// The requests of one run, drawn from the seed.
    fn requests(&self, draw: &mut Draw, state: &Self::State) -> Vec<Self::Request>;

    /// The faults of one run, drawn after its `requests` (a fault names its task by request index). Default:
    /// none.
    fn faults(&self, draw: &mut Draw, requests: &[Self::Request]) -> FaultPlan {
        let _ = (draw, requests);
        FaultPlan::none()
    }

    /// Runs one request to its outcome.
    fn run(&self, fx: &Sandbox, state: &Self::State, request: &Self::Request) -> RequestFuture<Self::Outcome>;

    /// Invariants that hold after every step.
    ///
    /// # Errors
    /// The first [`Violation`].
    fn always(&self, view: &View<'_, Self>) -> Result<(), Violation> {
        let _ = view;
        Ok(())
    }

    /// Invariants that hold once every request has completed.
    ///
    /// # Errors
    /// The first [`Violation`].
    fn at_end(&self, view: &View<'_, Self>) -> Result<(), Violation> {
        let _ = view;
        Ok(())
    }

    /// Paths the whole campaign must reach at least once; a campaign that never reaches one fails.
    fn sometimes(&self) -> Vec<Sometimes<Self>> {
        Vec::new()
    }
}
