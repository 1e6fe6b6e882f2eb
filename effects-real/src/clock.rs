//! The system clock.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use effects::{Clock, Timestamp};

/// The system clock for [`Clock::now`], tokio's timer for [`Clock::sleep`] (so it needs a tokio runtime).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
        Timestamp::from_unix_millis(u64::try_from(millis).unwrap_or(u64::MAX))
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}
