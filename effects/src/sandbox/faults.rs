//! Deterministic fault injection.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::gate::Gate;

/// When an injected fault fires. Schedules count calls, never wall time, so a faulty run replays exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// Never (the default).
    #[default]
    Off,
    /// On every call until cleared.
    Always,
    /// On the next `n` calls, then off.
    Next(u32),
    /// On the one call after `skip` more calls have succeeded, then off.
    After {
        /// Calls that succeed first.
        skip: u32,
    },
}

impl Schedule {
    /// Whether this call fails; advances the schedule.
    fn fire(&mut self) -> bool {
        match *self {
            Schedule::Off => false,
            Schedule::Always => true,
            Schedule::Next(n) => {
                *self = if n <= 1 { Schedule::Off } else { Schedule::Next(n - 1) };
                n >= 1
            }
            Schedule::After { skip: 0 } => {
                *self = Schedule::Off;
                true
            }
            Schedule::After { skip } => {
                *self = Schedule::After { skip: skip - 1 };
                false
            }
        }
    }
}

/// How the cache fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheFault {
    /// Connection refused: [`CacheError::Unavailable`](crate::CacheError::Unavailable) at once.
    Down,
    /// No reply: the clock moves on by the timeout, then
    /// [`CacheError::Timeout`](crate::CacheError::Timeout).
    Timeout(Duration),
}

/// How outbound calls fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundFault {
    /// Connection refused: [`OutboundError::Connect`](crate::OutboundError::Connect).
    Connect,
    /// The clock moves on by the duration, then [`OutboundError::Timeout`](crate::OutboundError::Timeout).
    Timeout(Duration),
}

/// How store calls fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFault {
    /// The database cannot be reached: [`StoreError::Unavailable`](crate::StoreError::Unavailable).
    Unavailable,
    /// The transaction lost a race (SQLite busy, PostgreSQL serialization failure):
    /// [`StoreError::Conflict`](crate::StoreError::Conflict).
    Conflict,
}

#[derive(Debug, Default)]
struct State {
    cache: Option<(CacheFault, Schedule)>,
    store: Option<(StoreFault, Schedule)>,
    outbound: Option<(OutboundFault, Schedule)>,
    /// A simulation's fault plan, by task and call number (see [`FaultPlan`](super::sim::FaultPlan)).
    plan: Vec<super::sim::PlannedFault>,
    /// Calls so far per task and capability since the plan was installed.
    calls: BTreeMap<(u32, Target), u32>,
}

/// Which capability a planned fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    Cache = 0,
    Store = 1,
    Outbound = 2,
}

/// The sandbox's fault switches, shared by its capabilities. Each call to the capability consults its schedule
/// once.
///
/// ```
/// use effects::sandbox::{CacheFault, Sandbox, Schedule};
/// use effects::{Cache, CacheError, Effects};
///
/// let sandbox = Sandbox::new(1);
/// sandbox.faults().cache(CacheFault::Down, Schedule::Next(1));
/// let first = sandbox.run(sandbox.cache().get::<String>("k"));
/// assert!(matches!(first, Err(CacheError::Unavailable { .. })));
/// assert_eq!(sandbox.run(sandbox.cache().get::<String>("k")), Ok(None));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Faults {
    state: Arc<Mutex<State>>,
    /// Tells which simulated task is calling, for the plan.
    gate: Gate,
}

impl Faults {
    pub(crate) fn with_gate(gate: Gate) -> Self {
        Self { state: Arc::default(), gate }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes cache calls fail with `fault` on `schedule`.
    pub fn cache(&self, fault: CacheFault, schedule: Schedule) {
        self.lock().cache = Some((fault, schedule));
    }

    /// Makes store calls (begin, every transaction operation, commit) fail with
    /// [`StoreError::Unavailable`](crate::StoreError::Unavailable) on `schedule`.
    pub fn store(&self, schedule: Schedule) {
        self.store_with(StoreFault::Unavailable, schedule);
    }

    /// Makes store calls (begin, every transaction operation, commit) fail with `fault` on `schedule`.
    pub fn store_with(&self, fault: StoreFault, schedule: Schedule) {
        self.lock().store = Some((fault, schedule));
    }

    /// Installs a simulation's fault plan and restarts the call counts it is keyed by.
    pub(crate) fn install_plan(&self, plan: Vec<super::sim::PlannedFault>) {
        let mut state = self.lock();
        state.plan = plan;
        state.calls.clear();
    }

    /// Counts one call to `target` by the current task; the planned fault for it, if any.
    fn planned(&self, state: &mut State, target: Target) -> Option<super::sim::FaultKind> {
        if state.plan.is_empty() {
            return None;
        }
        let task = self.gate.current()?;
        let calls = state.calls.entry((task, target)).or_default();
        let call = *calls;
        *calls = call.saturating_add(1);
        state.plan.iter().find(|f| f.task == task && f.at == call && f.kind.target() == target).map(|f| f.kind)
    }

    /// Makes outbound calls fail with `fault` on `schedule`.
    pub fn outbound(&self, fault: OutboundFault, schedule: Schedule) {
        self.lock().outbound = Some((fault, schedule));
    }

    /// Turns every fault off.
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    pub(crate) fn cache_fault(&self) -> Option<CacheFault> {
        let mut state = self.lock();
        if let Some(planned) = self.planned(&mut state, Target::Cache).and_then(|k| k.cache()) {
            return Some(planned);
        }
        let (fault, schedule) = state.cache.as_mut()?;
        schedule.fire().then_some(*fault)
    }

    pub(crate) fn store_fault(&self) -> Option<StoreFault> {
        let mut state = self.lock();
        if let Some(planned) = self.planned(&mut state, Target::Store).and_then(|k| k.store()) {
            return Some(planned);
        }
        let (fault, schedule) = state.store.as_mut()?;
        schedule.fire().then_some(*fault)
    }

    pub(crate) fn outbound_fault(&self) -> Option<OutboundFault> {
        let mut state = self.lock();
        if let Some(planned) = self.planned(&mut state, Target::Outbound).and_then(|k| k.outbound()) {
            return Some(planned);
        }
        let (fault, schedule) = state.outbound.as_mut()?;
        schedule.fire().then_some(*fault)
    }
}
