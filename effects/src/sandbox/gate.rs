//! Yield points: the places where a simulated run may switch from one task to another.
//!
//! Every asynchronous sandbox effect (cache, store, outbound) passes through [`Gate::point`] before it acts. Outside
//! a simulation the gate is closed and the point costs one lock; inside one, the point suspends the calling task
//! once, still runnable, so the simulator's strategy picks who runs next. A handler's interleavings are therefore
//! exactly its effect boundaries. Synchronous effects (random draws, events) cannot suspend; they only update the
//! task's last effect, for deadlock reports.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

#[derive(Debug, Default)]
struct State {
    /// Whether a simulation drives the sandbox.
    active: bool,
    /// The task being polled.
    current: Option<u32>,
    /// Each task's last effect, as "cache.get key=...".
    last: BTreeMap<u32, String>,
}

/// The sandbox's hook into the simulator. Clones share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gate {
    state: Arc<Mutex<State>>,
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens (a simulation starts) or closes the gate; forgets every task's last effect.
    pub(crate) fn set_active(&self, active: bool) {
        let mut state = self.lock();
        state.active = active;
        state.current = None;
        state.last.clear();
    }

    /// Marks `task` as the one being polled (`None` between polls).
    pub(crate) fn set_current(&self, task: Option<u32>) {
        self.lock().current = task;
    }

    /// The task being polled, in a simulation.
    pub(crate) fn current(&self) -> Option<u32> {
        let state = self.lock();
        state.current.filter(|_| state.active)
    }

    /// The last effect of `task`, if it performed one.
    pub(crate) fn last_effect(&self, task: u32) -> Option<String> {
        self.lock().last.get(&task).cloned()
    }

    /// Records that the current task performs `effect`, which cannot suspend.
    pub(crate) fn note(&self, effect: impl FnOnce() -> String) {
        let mut state = self.lock();
        if let (true, Some(task)) = (state.active, state.current) {
            state.last.insert(task, effect());
        }
    }

    /// A yield point before `effect`: records it as the current task's last effect and, in a simulation,
    /// suspends once so the scheduler can run another task first.
    pub(crate) fn point(&self, effect: impl FnOnce() -> String) -> YieldPoint {
        let mut state = self.lock();
        let simulated = match (state.active, state.current) {
            (true, Some(task)) => {
                state.last.insert(task, effect());
                true
            }
            _ => false,
        };
        YieldPoint { pending: simulated }
    }
}

/// Suspends once (still runnable) when a simulation runs, else completes at once.
#[derive(Debug)]
pub(crate) struct YieldPoint {
    pending: bool,
}

impl Future for YieldPoint {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.pending {
            self.pending = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(())
    }
}
