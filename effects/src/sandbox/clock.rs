//! The manual clock.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::clock::{Clock, Timestamp};

#[derive(Default)]
struct State {
    now: Timestamp,
    /// (deadline, registration) to the waker of a pending sleep.
    sleepers: BTreeMap<(Timestamp, u64), Waker>,
    next_id: u64,
    advance_on_sleep: bool,
}

/// A clock that moves only when told: [`ManualClock::advance`] by a test, or
/// [`block_on_with_clock`](super::block_on_with_clock) when every task is asleep. Clones share the time.
///
/// ```
/// use effects::sandbox::ManualClock;
/// use effects::{Clock, Timestamp};
/// use std::time::Duration;
///
/// let clock = ManualClock::new(Timestamp::from_unix_millis(1_000));
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now().unix_millis(), 3_000);
/// ```
#[derive(Clone, Default)]
pub struct ManualClock {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualClock").field("now", &self.lock().now).finish()
    }
}

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: Timestamp) -> Self {
        let clock = Self::default();
        clock.lock().now = start;
        clock
    }

    /// Makes every [`Clock::sleep`] move the clock to its deadline at once, instead of waiting for someone to
    /// advance it: for running sandbox handlers under another executor (a `#[tokio::test]`), where nothing else
    /// would advance it.
    pub fn set_advance_on_sleep(&self, on: bool) {
        self.lock().advance_on_sleep = on;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves time forward by `by`, waking every sleep that is due.
    pub fn advance(&self, by: Duration) {
        let target = self.lock().now.saturating_add(by);
        self.advance_to(target);
    }

    /// Moves time forward to `to` (never backwards), waking every sleep that is due.
    pub fn advance_to(&self, to: Timestamp) {
        let due = {
            let mut state = self.lock();
            state.now = state.now.max(to);
            let now = state.now;
            let later = state.sleepers.split_off(&(now, u64::MAX));
            std::mem::replace(&mut state.sleepers, later)
        };
        due.into_values().for_each(Waker::wake);
    }

    /// Moves time to the earliest pending sleep's deadline; `false` if nothing sleeps.
    pub(crate) fn advance_to_next_sleeper(&self) -> bool {
        let next = self.lock().sleepers.keys().next().map(|(at, _)| *at);
        match next {
            Some(at) => {
                self.advance_to(at);
                true
            }
            None => false,
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.lock().now
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        let deadline = self.now().saturating_add(duration);
        Sleep { clock: self.clone(), deadline, id: None }
    }
}

/// A pending [`ManualClock`] sleep.
struct Sleep {
    clock: ManualClock,
    deadline: Timestamp,
    id: Option<u64>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        let mut state = self.clock.lock();
        if state.advance_on_sleep && state.now < deadline {
            drop(state);
            self.clock.advance_to(deadline);
            state = self.clock.lock();
        }
        if let Some(id) = self.id {
            state.sleepers.remove(&(deadline, id));
        }
        if state.now >= deadline {
            drop(state);
            self.id = None;
            return Poll::Ready(());
        }
        let id = match self.id {
            Some(id) => id,
            None => {
                state.next_id += 1;
                state.next_id
            }
        };
        state.sleepers.insert((deadline, id), cx.waker().clone());
        drop(state);
        self.id = Some(id);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.clock.lock().sleepers.remove(&(self.deadline, id));
        }
    }
}
