//! Health checks: probe the store and the cache of any [`Effects`] bundle, for a service's `GET /healthz`.
//!
//! [`check`] asks each dependency something cheap and real (the store reads a record that does not exist, the
//! cache gets a key that is never written), each bounded by a timeout on the bundle's own clock, and reports
//! every dependency by name. Its JSON form is the `/healthz` body of the example services:
//!
//! ```json
//! {"status": "degraded",
//!  "checks": {"store": {"status": "ok"},
//!             "cache": {"status": "down", "reason": "cache unavailable: ..."}}}
//! ```
//!
//! `status` is `"ok"` when every check is, `"degraded"` otherwise; a check that is `"down"` says why in
//! `reason`. [`Health::serving`] tells whether requests can still be answered: a cache that is down only costs
//! store reads, a store that is down fails them.
//!
//! ```
//! use std::time::Duration;
//! use effects::health::{self, Status};
//! use effects::sandbox::{CacheFault, Sandbox, Schedule};
//!
//! let fx = Sandbox::new(1);
//! assert_eq!(fx.run(health::check(&fx, Duration::from_secs(1))).status, Status::Ok);
//!
//! fx.faults().cache(CacheFault::Down, Schedule::Always);
//! let health = fx.run(health::check(&fx, Duration::from_secs(1)));
//! assert_eq!(health.status, Status::Degraded);
//! assert!(health.serving(), "the store still answers");
//! assert_eq!(
//!     serde_json::to_value(&health).unwrap(),
//!     serde_json::json!({"status": "degraded", "checks": {
//!         "store": {"status": "ok"},
//!         "cache": {"status": "down", "reason": "cache unavailable: sandbox fault: cache down"}}})
//! );
//! ```

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures_util::future::{Either, join, select};
use serde::{Deserialize, Serialize};

use crate::{Cache, Clock, Effects, Record, Store};

/// A timeout for [`check`] that outlasts the memcached client's own (1 s to connect, 1 s per request), so a
/// server that does not answer is reported with the client's reason.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// The cache key the probe reads. Nothing writes it, so the answer is a miss, which is all the probe needs.
pub const CACHE_PROBE_KEY: &str = "memkit:healthz";

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every dependency answered.
    Ok,
    /// At least one dependency is down; see [`Checks`].
    Degraded,
}

/// The verdict on one dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// It answered.
    Ok,
    /// It failed or did not answer in time.
    Down,
}

/// One dependency's check: `{"status":"ok"}` or `{"status":"down","reason":"..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Whether it answered.
    pub status: CheckStatus,
    /// Why it is down (absent when it is up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Check {
    /// A dependency that answered.
    #[must_use]
    pub const fn ok() -> Self {
        Self { status: CheckStatus::Ok, reason: None }
    }

    /// A dependency that is down, and why.
    pub fn down(reason: impl Into<String>) -> Self {
        Self { status: CheckStatus::Down, reason: Some(reason.into()) }
    }

    /// Whether it answered.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.status == CheckStatus::Ok
    }
}

/// Every dependency's check, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checks {
    /// The [`Store`].
    pub store: Check,
    /// The [`Cache`].
    pub cache: Check,
}

/// The result of [`check`]; serialises to the `/healthz` body shown in the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when every check is, else `degraded`.
    pub status: Status,
    /// Each dependency.
    pub checks: Checks,
}

impl Health {
    /// The verdict from the checks.
    #[must_use]
    pub fn new(checks: Checks) -> Self {
        let status = if checks.store.is_ok() && checks.cache.is_ok() { Status::Ok } else { Status::Degraded };
        Self { status, checks }
    }

    /// Whether requests can still be answered: the store is up (the cache is an optimisation; handlers carry on
    /// uncached when it is down). The example services answer `/healthz` with 200 when this holds and 503 when it
    /// does not, so a load balancer stops sending requests only when they would fail.
    #[must_use]
    pub fn serving(&self) -> bool {
        self.checks.store.is_ok()
    }
}

/// The record the store probe reads; it is never written.
#[derive(Debug, Serialize, Deserialize)]
struct Probe {}

impl Record for Probe {
    const COLLECTION: &'static str = "memkit_health";
}

/// Probes the store and the cache of `fx` at once, giving each `timeout` on `fx`'s clock.
///
/// The store probe reads a record that does not exist (a transaction, a query, a commit); the cache probe gets
/// [`CACHE_PROBE_KEY`], which on memcached is a round trip to the server that owns the key. Any store error, and
/// a cache that is unreachable, times out or answers with a server error, is `down` with the error's message as
/// the reason. A cached value of another type under the key still proves the cache answered.
pub async fn check<E: Effects>(fx: &E, timeout: Duration) -> Health {
    let store = within(fx, timeout, async {
        match fx.store().get::<Probe>("probe").await {
            Ok(_) => Check::ok(),
            Err(e) => Check::down(e.to_string()),
        }
    });
    let cache = within(fx, timeout, async {
        match fx.cache().get::<String>(CACHE_PROBE_KEY).await {
            Ok(_) => Check::ok(),
            Err(e) if e.is_rejected_value() => Check::ok(),
            Err(e) => Check::down(e.to_string()),
        }
    });
    let (store, cache) = join(store, cache).await;
    Health::new(Checks { store, cache })
}

/// `probe`, or `down` when it has not finished after `timeout` on `fx`'s clock.
async fn within<E: Effects>(fx: &E, timeout: Duration, probe: impl Future<Output = Check>) -> Check {
    match select(pin!(probe), pin!(fx.clock().sleep(timeout))).await {
        Either::Left((check, _)) => check,
        Either::Right(((), _)) => Check::down(format!("no answer within {} ms", timeout.as_millis())),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Check, check};
    use crate::sandbox::Sandbox;
    use crate::{Clock, Effects, Store};

    #[test]
    fn a_probe_that_does_not_answer_in_time_is_down_after_the_timeout() {
        // The sandbox store runs one transaction at a time: while the test holds one, the probe waits, and gives
        // up when the (manual) clock reaches its timeout.
        let fx = Sandbox::new(1);
        let held = fx.run(fx.store().begin()).unwrap();
        let started = fx.clock().now();
        let health = fx.run(check(&fx, Duration::from_millis(1500)));
        assert_eq!(health.checks.store, Check::down("no answer within 1500 ms"));
        assert_eq!(health.checks.cache, Check::ok());
        assert!(!health.serving());
        assert_eq!(fx.clock().now().saturating_since(started), Duration::from_millis(1500));
        drop(held);
        assert!(fx.run(check(&fx, Duration::from_millis(1500))).serving());
    }
}
