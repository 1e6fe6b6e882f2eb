//! The seeded single-thread executor: many tasks, one chosen to run at each step by a [`Strategy`].

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use super::SimError;
use crate::Effects;
use crate::random::Random;
use crate::sandbox::{Sandbox, SeededRandom};

/// A task: a request's future, owning what it uses (a clone of the sandbox, say).
pub type Task = Pin<Box<dyn Future<Output = ()>>>;

/// How the executor picks the next task among those ready to run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Strategy {
    /// The task that has been ready longest: round-robin over effect calls, close to what `join_all` under
    /// [`Sandbox::run`] does. The default.
    #[default]
    Fifo,
    /// A ready task drawn uniformly at random from the seed at every step.
    Random,
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): random distinct priorities per task,
    /// the highest-priority ready task always runs, and at `depth - 1` random steps the running task drops below
    /// every other. Finds any bug that needs `depth` ordering constraints with probability at least
    /// 1 / (tasks × steps^(depth-1)) per run.
    Pct {
        /// Bugs of this depth are targeted (1 = no change points; 2 or 3 are typical).
        depth: u32,
    },
    /// Runs the recorded schedule, one entry a step. An entry naming a task that does not exist or has finished
    /// is skipped; while the next entry's task cannot run yet, and once the schedule runs out, the task that ran
    /// last continues if it can, else the lowest-numbered ready task. A schedule recorded from a run replays it
    /// exactly; an edited one (shrinking drops requests and switches) still runs.
    Replay(Interleaving),
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Fifo => f.write_str("fifo"),
            Strategy::Random => f.write_str("random"),
            Strategy::Pct { depth } => write!(f, "pct(depth={depth})"),
            Strategy::Replay(_) => f.write_str("replay"),
        }
    }
}

/// The task run at each step, by task number: a schedule to replay. Written run-length encoded, `0x3.2.0x2`
/// (task 0 three steps, task 2 one, task 0 two).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interleaving(pub Vec<u32>);

impl Interleaving {
    /// Runs of consecutive steps by one task: `(task, steps)`.
    pub fn runs(&self) -> Vec<(u32, u32)> {
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for &task in &self.0 {
            match runs.last_mut() {
                Some((t, n)) if *t == task => *n += 1,
                _ => runs.push((task, 1)),
            }
        }
        runs
    }

    /// The interleaving made of `runs`.
    pub fn from_runs(runs: &[(u32, u32)]) -> Self {
        Self(runs.iter().flat_map(|&(task, n)| std::iter::repeat_n(task, n as usize)).collect())
    }
}

impl fmt::Display for Interleaving {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("-");
        }
        for (i, (task, n)) in self.runs().into_iter().enumerate() {
            let sep = if i == 0 { "" } else { "." };
            if n == 1 { write!(f, "{sep}{task}")? } else { write!(f, "{sep}{task}x{n}")? }
        }
        Ok(())
    }
}

impl FromStr for Interleaving {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, SimError> {
        if s == "-" {
            return Ok(Self::default());
        }
        let bad = || SimError::BadReplay { field: "schedule", value: s.to_owned() };
        let mut runs = Vec::new();
        for run in s.split('.') {
            let (task, n) = run.split_once('x').unwrap_or((run, "1"));
            let (task, n) = (task.parse::<u32>().map_err(|_| bad())?, n.parse::<u32>().map_err(|_| bad())?);
            // A schedule longer than any run's step limit is not one this simulator wrote.
            if n == 0 || n > super::MAX_STEPS_LIMIT {
                return Err(bad());
            }
            runs.push((task, n));
        }
        let total: u64 = runs.iter().map(|&(_, n)| u64::from(n)).sum();
        if total > u64::from(super::MAX_STEPS_LIMIT) {
            return Err(bad());
        }
        Ok(Self::from_runs(&runs))
    }
}

/// The tasks ready to run, in the order they became ready.
#[derive(Debug, Default)]
struct Ready {
    order: VecDeque<usize>,
    queued: Vec<bool>,
}

struct TaskWaker {
    slot: usize,
    ready: Arc<Mutex<Ready>>,
}

fn lock(ready: &Mutex<Ready>) -> MutexGuard<'_, Ready> {
    ready.lock().unwrap_or_else(|e| e.into_inner())
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut ready = lock(&self.ready);
        if !ready.queued[self.slot] {
            ready.queued[self.slot] = true;
            ready.order.push_back(self.slot);
        }
    }
}

struct Slot {
    id: u32,
    future: Option<Task>,
    waker: Waker,
}

/// What one [`Executor::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Task `id` ran up to its next effect (or to its end: `finished`).
    Ran {
        /// The task.
        id: u32,
        /// Whether it completed.
        finished: bool,
    },
    /// No task was ready, so the manual clock moved to the next sleeper's deadline.
    ClockAdvanced,
    /// Every task has completed.
    Done,
    /// No task is ready, none sleeps, and some have not completed: each with its last effect.
    Deadlock(Vec<(u32, String)>),
    /// Task `id` panicked (it is dropped).
    Panicked {
        /// The task.
        id: u32,
        /// The panic message.
        message: String,
    },
}

/// Picks the next task.
#[derive(Debug)]
enum Chooser {
    Fifo,
    Random(SeededRandom),
    Pct { priorities: Vec<u64>, change_points: Vec<u64> },
    Replay { schedule: Vec<u32>, cursor: usize },
}

/// Runs tasks on this thread over one [`Sandbox`], one step (up to the next effect) at a time, choosing who runs
/// by a seeded [`Strategy`]; records the [`Interleaving`] it ran. While it exists the sandbox's effects are yield
/// points; dropping it closes them again.
pub struct Executor {
    fx: Sandbox,
    slots: Vec<Slot>,
    ready: Arc<Mutex<Ready>>,
    chooser: Chooser,
    rng: SeededRandom,
    pct_depth: u32,
    executed: Vec<u32>,
    last: Option<usize>,
    preemptions: u32,
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor").field("tasks", &self.slots.len()).field("steps", &self.executed.len()).finish()
    }
}

impl Executor {
    /// An executor over `fx`, choosing by `strategy` with randomness drawn from `seed`. `pct_steps` is the
    /// expected length of a run, over which PCT spreads its change points (ignored by other strategies).
    pub fn new(fx: &Sandbox, seed: u64, strategy: Strategy, pct_steps: u64) -> Self {
        fx.gate().set_active(true);
        // A stream of its own, so the schedule never shifts the handlers' IDs and the other way round.
        let rng = SeededRandom::new(seed ^ 0x5c4e_d01e_0000_0001);
        let (chooser, pct_depth) = match strategy {
            Strategy::Fifo => (Chooser::Fifo, 0),
            Strategy::Random => (Chooser::Random(SeededRandom::new(seed ^ 0x5c4e_d01e_0000_0002)), 0),
            Strategy::Pct { depth } => {
                let depth = depth.max(1);
                let steps = pct_steps.max(1);
                let mut change_points: Vec<u64> = (1..depth).map(|_| rng.below(steps)).collect();
                change_points.sort_unstable();
                (Chooser::Pct { priorities: Vec::new(), change_points }, depth)
            }
            Strategy::Replay(schedule) => (Chooser::Replay { schedule: schedule.0, cursor: 0 }, 0),
        };
        Self {
            fx: fx.clone(),
            slots: Vec::new(),
            ready: Arc::default(),
            chooser,
            rng,
            pct_depth,
            executed: Vec::new(),
            last: None,
            preemptions: 0,
        }
    }

    /// Adds task `id` (its number in schedules and reports; numbers need not be contiguous), ready to run.
    pub fn spawn(&mut self, id: u32, task: Task) {
        let slot = self.slots.len();
        let waker = Waker::from(Arc::new(TaskWaker { slot, ready: self.ready.clone() }));
        {
            let mut ready = lock(&self.ready);
            ready.queued.push(true);
            ready.order.push_back(slot);
        }
        if let Chooser::Pct { priorities, .. } = &mut self.chooser {
            // Initial priorities sit above the change points' (which count up from 0): a random rank above
            // `depth`, made unique by the slot number.
            let rank = self.rng.below(1 << 32);
            priorities.push((u64::from(self.pct_depth) + 1 + rank) << 16 | slot as u64);
        }
        self.slots.push(Slot { id, future: Some(task), waker });
    }

    /// The steps run so far, by task.
    pub fn interleaving(&self) -> Interleaving {
        Interleaving(self.executed.clone())
    }

    /// Steps where the task that ran last could have continued but another was chosen.
    pub fn preemptions(&self) -> u32 {
        self.preemptions
    }

    /// Steps run so far.
    pub fn steps(&self) -> u64 {
        self.executed.len() as u64
    }

    fn choose(&mut self, ready: &[usize]) -> usize {
        let step = self.executed.len() as u64;
        match &mut self.chooser {
            Chooser::Fifo => 0,
            Chooser::Random(rng) => rng.below(ready.len() as u64) as usize,
            Chooser::Pct { priorities, change_points } => {
                // At the i-th change point the running task drops to priority i, below every initial one.
                for (i, point) in change_points.iter().enumerate() {
                    if *point == step
                        && let Some(last) = self.last
                    {
                        priorities[last] = i as u64;
                    }
                }
                (0..ready.len()).max_by_key(|&i| priorities[ready[i]]).unwrap_or(0)
            }
            Chooser::Replay { schedule, cursor } => {
                // Entries for tasks that are gone (dropped while shrinking, or finished) are skipped; an entry
                // for a task that cannot run yet waits while the fallback runs others.
                let live = |id: u32| self.slots.iter().any(|s| s.id == id && s.future.is_some());
                while *cursor < schedule.len() && !live(schedule[*cursor]) {
                    *cursor += 1;
                }
                let wanted = schedule.get(*cursor).copied();
                match wanted.and_then(|id| ready.iter().position(|&s| self.slots[s].id == id)) {
                    Some(i) => {
                        *cursor += 1;
                        i
                    }
                    None => self
                        .last
                        .and_then(|last| ready.iter().position(|&s| s == last))
                        .unwrap_or_else(|| (0..ready.len()).min_by_key(|&i| self.slots[ready[i]].id).unwrap_or(0)),
                }
            }
        }
    }

    /// Runs one step: picks a ready task by the strategy and polls it up to its next effect. When none is ready,
    /// advances the clock to the next sleeper; when none sleeps either, reports [`Step::Done`] or a
    /// [`Step::Deadlock`].
    pub fn step(&mut self) -> Step {
        let ready: Vec<usize> = lock(&self.ready).order.iter().copied().collect();
        if ready.is_empty() {
            if self.fx.clock().advance_to_next_sleeper() {
                return Step::ClockAdvanced;
            }
            let stuck: Vec<(u32, String)> = self
                .slots
                .iter()
                .filter(|s| s.future.is_some())
                .map(|s| (s.id, self.fx.gate().last_effect(s.id).unwrap_or_else(|| "(none yet)".into())))
                .collect();
            return if stuck.is_empty() { Step::Done } else { Step::Deadlock(stuck) };
        }
        let pick = self.choose(&ready);
        let slot = ready[pick];
        if let Some(last) = self.last
            && last != slot
            && ready.contains(&last)
        {
            self.preemptions += 1;
        }
        {
            let mut queue = lock(&self.ready);
            queue.queued[slot] = false;
            queue.order.retain(|&s| s != slot);
        }
        let id = self.slots[slot].id;
        if self.last != Some(slot) {
            self.fx.tracer().record(format_args!("sim: task {id} runs"));
        }
        self.executed.push(id);
        self.last = Some(slot);
        let Slot { future, waker, .. } = &mut self.slots[slot];
        let Some(fut) = future.as_mut() else { return Step::Ran { id, finished: true } };
        let mut cx = Context::from_waker(waker);
        let gate = self.fx.gate().clone();
        gate.set_current(Some(id));
        let polled = catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)));
        gate.set_current(None);
        match polled {
            Ok(Poll::Pending) => Step::Ran { id, finished: false },
            Ok(Poll::Ready(())) => {
                *future = None;
                Step::Ran { id, finished: true }
            }
            Err(panic) => {
                *future = None;
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(not a string)".into());
                Step::Panicked { id, message }
            }
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // Drop the tasks while the gate is still open, so their destructors see the same world.
        self.slots.clear();
        self.fx.gate().set_active(false);
    }
}
