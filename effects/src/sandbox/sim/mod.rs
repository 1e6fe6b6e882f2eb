//! Deterministic simulation: many handler invocations on one thread, interleaved at their effect calls by a seeded
//! strategy, with faults drawn as data, invariants checked after every step, and a failing run shrunk to a
//! one-line replay.
//!
//! ```
//! use effects::sandbox::Sandbox;
//! use effects::sandbox::sim::{self, Config, Draw, FailureKind, Scenario, Strategy, View, Violation, ensure};
//! use effects::{Effects, Record, Store, StoreError};
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Hits(u64);
//! impl Record for Hits {
//!     const COLLECTION: &'static str = "hits";
//! }
//!
//! /// A handler with a bug: it reads and writes in two transactions, so concurrent calls lose updates.
//! async fn hit<E: Effects>(fx: &E) -> Result<(), StoreError> {
//!     let n = fx.store().get::<Hits>("page").await?.map_or(0, |h| h.0);
//!     fx.store().upsert("page", &Hits(n + 1)).await
//! }
//!
//! struct Counting;
//!
//! impl Scenario for Counting {
//!     type State = ();
//!     type Request = &'static str;
//!     type Outcome = Result<(), StoreError>;
//!
//!     fn name(&self) -> &str {
//!         "counting"
//!     }
//!     fn setup(&self, _fx: &Sandbox) {}
//!     fn requests(&self, draw: &mut Draw, _: &()) -> Vec<&'static str> {
//!         vec!["hit"; draw.between(1, 4) as usize]
//!     }
//!     fn run(&self, fx: &Sandbox, _: &(), _: &&'static str) -> sim::RequestFuture<Self::Outcome> {
//!         let fx = fx.clone();
//!         Box::pin(async move { hit(&fx).await })
//!     }
//!     fn at_end(&self, view: &View<'_, Self>) -> Result<(), Violation> {
//!         let hits = view.fx.store().peek::<Hits>("page").unwrap().map_or(0, |h| h.0);
//!         let sent = view.tasks.len() as u64;
//!         ensure(hits == sent, "every hit counted", || format!("{sent} requests, {hits} counted"))
//!     }
//! }
//!
//! let failure = sim::simulate(&Counting, &Config::seeds(50).strategy(Strategy::Random)).unwrap_err();
//! assert!(matches!(failure.kind, FailureKind::Invariant { name: "every hit counted", .. }));
//! assert_eq!(failure.shrunk.requests, 2, "shrunk to the two requests that race");
//! // The one line in the report reruns the shrunk run exactly.
//! let line: sim::ReplayLine = failure.replay.to_string().parse().unwrap();
//! let again = sim::replay(&Counting, &line).unwrap_err();
//! assert!(again.kind.same_as(&failure.kind));
//! ```
//!
//! # How it runs
//!
//! The [`Executor`] polls one task at a time. Every asynchronous effect of the sandbox (each cache call, each
//! store call from `begin` to `commit`, each outbound call, and the store half of `get_or_compute`) first passes a
//! yield point: the task stops there, still ready, and the [`Strategy`] picks which ready task goes next. So a
//! handler's interleavings are exactly its effect boundaries, and the code between two effects runs atomically,
//! as it would between two awaits on a real runtime. When no task is ready the manual clock moves to the next
//! sleeper; when nothing sleeps either and tasks remain, the run fails as a deadlock listing each task's last
//! effect. Strategies: [`Strategy::Fifo`] (the default, close to what `join_all` under
//! [`Sandbox::run`](crate::sandbox::Sandbox::run) does), [`Strategy::Random`], [`Strategy::Pct`] and
//! [`Strategy::Replay`]. Everything is drawn from the seed: the requests ([`Scenario::requests`]), the
//! [`FaultPlan`] ([`Scenario::faults`]), the schedule, and the handlers' own random stream.
//!
//! # Writing a scenario
//!
//! Implement [`Scenario`]: `setup` creates the world on a fresh sandbox (customers, products); `requests` draws a
//! list of plain-data requests from the seed; `faults` draws a [`FaultPlan`] from a [`FaultMenu`]; `run` turns
//! one request into a future that calls the handler on a clone of the sandbox. Then state what must hold:
//! `always` after every step (read committed data with
//! [`MemoryStore::peek`](crate::sandbox::MemoryStore::peek), which needs no transaction), `at_end` once every
//! request has returned (each [`TaskView`] carries its request, outcome, start and end times and trace), and
//! `sometimes` for paths the campaign must reach at least once (a purchase racing a read, a fault hitting a
//! commit): a campaign that never reaches one fails, so a scenario cannot silently stop testing what it claims
//! to. Invariants must hold for every subset of the requests, since shrinking drops some. Run it from a
//! `#[test]` with [`check`] (panics with the report) or [`simulate`].
//!
//! # Budgets
//!
//! [`Config::default`] hunts 1,000 seeds with PCT of depth 3: the budget within which each of the shop's seven
//! planted bugs (`examples/shop-handlers/tests/simulation/`) was found in every one of 20 campaigns, with medians
//! of 3 to 116 seeds (BENCHMARKS.md has the table for every strategy). Budgets count seeds and steps, never wall
//! time, so a campaign's verdict is the same on every machine. Bugs that need one particular order of two
//! effects in different requests are what PCT is for; FIFO (one round-robin schedule per seed) only varies the
//! requests and faults.
//!
//! # Reading a failure
//!
//! A [`Failure`] prints what broke (the invariant's name and message, or the deadlocked tasks and their last
//! effects), its size when found and after shrinking (requests, faults, preemptions, steps), the shrunk run's
//! requests (`#index request`) and faults (`store.conflict@task3.call4`: task 3's fifth store call, counting from 0, fails),
//! the replay line and the trace. In the trace, `sim: task N runs` marks each switch; the lines after it up to
//! the next switch are task N's effects, in order, with the manual clock's time.
//!
//! # Replaying
//!
//! The line `seed=17 requests=0,3 faults=- schedule=0x5.3x7.0x3` names the seed, the requests and faults kept
//! (indices into the seed's lists) and the schedule (task 0 five steps, then task 3 seven, ...). Paste it into
//! [`replay`]`(&scenario, &"...".parse()?)` to rerun exactly that run, as often as needed, while fixing the
//! handler; it then keeps a regression test of the bug.
//!
//! # What the simulator cannot see
//!
//! Only the effects are instrumented. Code that goes around them is invisible: a handler that reads the real
//! clock, a global or thread-local, or iterates a `HashMap` (the handler `clippy.toml` bans these), and a
//! dependency doing its own IO or keeping its own state (a connection pool, a static cache) run atomically within
//! one step and are not interleaved, faulted or traced. A run that depends on such things shows up as
//! [`FailureKind::Nondeterministic`] when the failing seed is rerun, if it changes the trace. Synchronous effects
//! (the clock's `now`, random draws, events) cannot suspend, so they run in the step of the next asynchronous
//! effect. The sandbox store serialises transactions (one writer, as SQLite), so races *inside* a transaction
//! that PostgreSQL's weaker isolation levels allow are not explored; the store's conflict error is injected as a
//! fault instead. Time moves only through sleeps and injected timeouts. And the search is a sample: a bug that
//! needs an interleaving or fault combination the strategies rarely draw may need more seeds; BENCHMARKS.md
//! records how many the planted bugs needed.

mod executor;
mod plan;
mod report;
mod runner;
mod scenario;
mod shrink;

pub use executor::{Executor, Interleaving, Step, Strategy, Task};
pub use plan::{Draw, FaultKind, FaultMenu, FaultPlan, PlannedFault};
pub use report::{Failure, FailureKind, ReplayLine, Size, Summary};
pub use runner::{Config, check, replay, simulate};
pub use scenario::{RequestFuture, Scenario, Sometimes, TaskView, View, Violation, ensure};

/// The most steps one run may take, whatever the configuration: bounds what a replay line may ask for.
pub const MAX_STEPS_LIMIT: u32 = 1_000_000;

/// Why a replay line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A field of the line does not parse.
    #[error("replay line: bad {field} {value:?}")]
    BadReplay {
        /// The field.
        field: &'static str,
        /// Its text.
        value: String,
    },
    /// A field is missing.
    #[error("replay line: missing {0}=")]
    MissingField(&'static str),
}
