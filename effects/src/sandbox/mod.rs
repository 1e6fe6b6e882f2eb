//! The deterministic sandbox: every capability in memory, driven by a seed and a manual clock.
//!
//! ```
//! use effects::sandbox::{CacheFault, Sandbox, Schedule};
//! use effects::{Cache, Clock, Effects, Method, Outbound, Request, Response};
//! use std::time::Duration;
//!
//! let sandbox = Sandbox::builder(42).start_at_unix_millis(1_700_000_000_000).build();
//! sandbox.outbound().respond(Method::Get, "http://rates/eur", Ok(Response::new(200, "1.08")));
//! sandbox.faults().cache(CacheFault::Timeout(Duration::from_millis(250)), Schedule::Next(1));
//!
//! let (cached, rate) = sandbox.run(async {
//!     let cached = sandbox.cache().get::<String>("rate:eur").await;
//!     let rate = sandbox.outbound().send(Request::get("http://rates/eur")).await.unwrap();
//!     (cached, rate)
//! });
//! assert!(cached.unwrap_err().is_timeout());
//! assert_eq!(rate.body, "1.08");
//! assert_eq!(sandbox.clock().now().unix_millis(), 1_700_000_000_250); // the timeout took its time
//! assert_eq!(sandbox.outbound().calls().len(), 1);
//! print!("{}", sandbox.trace());
//! ```
//!
//! [`Sandbox::run`] drives one future, so requests joined in it always interleave the same way. To explore
//! interleavings and faults across many seeds, with invariants, shrinking and replay, see [`sim`].

mod cache;
mod clock;
mod events;
mod executor;
mod faults;
mod gate;
mod outbound;
mod random;
pub mod sim;
mod store;
mod trace;

use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;

pub use cache::SandboxCache;
pub use clock::ManualClock;
pub use events::CapturedEvents;
pub use executor::{block_on, block_on_with_clock};
pub use faults::{CacheFault, Faults, OutboundFault, Schedule, StoreFault};
pub use outbound::ScriptedOutbound;
pub use random::SeededRandom;
pub use store::{MemoryStore, MemoryTx};
pub use trace::Trace;

use crate::Effects;
use crate::clock::Timestamp;
use crate::memory::MemoryCacheConfig;
use crate::random::Random;
use gate::Gate;

/// The sandbox's random stream: a [`SeededRandom`] whose every draw is traced.
#[derive(Debug)]
pub struct SandboxRandom {
    inner: SeededRandom,
    trace: Trace,
    gate: Gate,
}

impl Random for SandboxRandom {
    fn fill_bytes(&self, dest: &mut [u8]) {
        self.gate.note(|| format!("random {}B", dest.len()));
        self.inner.fill_bytes(dest);
        let mut hex = String::with_capacity(dest.len() * 2);
        for b in dest.iter() {
            let _ = write!(hex, "{b:02x}");
        }
        self.trace.record(format_args!("random {}B {hex}", dest.len()));
    }
}

/// Builds a [`Sandbox`].
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    seed: u64,
    start: Timestamp,
    cache: MemoryCacheConfig,
    advance_on_sleep: bool,
}

impl SandboxBuilder {
    /// The clock's starting time. Default 2023-11-14T22:13:20Z (1 700 000 000 000 ms).
    #[must_use]
    pub fn start_at_unix_millis(mut self, millis: u64) -> Self {
        self.start = Timestamp::from_unix_millis(millis);
        self
    }

    /// The cache's configuration (item size limit, capacity, decode policy).
    #[must_use]
    pub fn cache_config(mut self, config: MemoryCacheConfig) -> Self {
        self.cache = config;
        self
    }

    /// See [`ManualClock::set_advance_on_sleep`]: for running handlers under another executor.
    #[must_use]
    pub fn advance_on_sleep(mut self, on: bool) -> Self {
        self.advance_on_sleep = on;
        self
    }

    /// The sandbox.
    pub fn build(self) -> Sandbox {
        let clock = ManualClock::new(self.start);
        clock.set_advance_on_sleep(self.advance_on_sleep);
        let trace = Trace::new(clock.clone());
        trace.record(format_args!("sandbox seed={}", self.seed));
        let gate = Gate::default();
        let faults = Faults::with_gate(gate.clone());
        let events = CapturedEvents::new(trace.clone(), gate.clone());
        let inner = Inner {
            seed: self.seed,
            random: SandboxRandom { inner: SeededRandom::new(self.seed), trace: trace.clone(), gate: gate.clone() },
            cache: SandboxCache::new(
                clock.clone(),
                self.cache,
                faults.clone(),
                trace.clone(),
                events.clone(),
                gate.clone(),
            ),
            store: MemoryStore::sandboxed(faults.clone(), trace.clone(), gate.clone()),
            outbound: ScriptedOutbound::new(faults.clone(), trace.clone(), clock.clone(), gate.clone()),
            events,
            faults,
            trace,
            clock,
            gate,
        };
        Sandbox { inner: Arc::new(inner) }
    }
}

#[derive(Debug)]
struct Inner {
    seed: u64,
    clock: ManualClock,
    random: SandboxRandom,
    cache: SandboxCache,
    store: MemoryStore,
    outbound: ScriptedOutbound,
    events: CapturedEvents,
    faults: Faults,
    trace: Trace,
    gate: Gate,
}

/// A deterministic world for handler tests: implements [`Effects`] with a [`ManualClock`], a seeded
/// [`SandboxRandom`], a [`SandboxCache`], a [`MemoryStore`], a [`ScriptedOutbound`] and [`CapturedEvents`]; holds
/// the [`Faults`] switches and the [`Trace`] of every effect. Clones share everything (pass it as axum state).
///
/// Nothing in it reads the wall clock, the OS random generator, the network or the disk, so a handler test run on
/// it cannot fail intermittently: the same seed and the same calls give the same trace, byte for byte.
#[derive(Debug, Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

impl Sandbox {
    /// A sandbox with `seed` and the defaults.
    pub fn new(seed: u64) -> Self {
        Self::builder(seed).build()
    }

    /// A builder for a sandbox with `seed`.
    pub fn builder(seed: u64) -> SandboxBuilder {
        SandboxBuilder {
            seed,
            start: Timestamp::from_unix_millis(1_700_000_000_000),
            cache: MemoryCacheConfig::default(),
            advance_on_sleep: false,
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// Runs `future` to completion on this thread, advancing the manual clock whenever everything sleeps
    /// ([`block_on_with_clock`]).
    ///
    /// # Panics
    /// If the future waits on something that can never happen (a deadlock).
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        block_on_with_clock(&self.inner.clock, future)
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// The trace so far.
    pub fn trace(&self) -> String {
        self.inner.trace.text()
    }

    /// The trace recorder, for a test to add its own markers.
    pub fn tracer(&self) -> &Trace {
        &self.inner.trace
    }

    pub(crate) fn gate(&self) -> &Gate {
        &self.inner.gate
    }
}

impl Effects for Sandbox {
    type Clock = ManualClock;
    type Random = SandboxRandom;
    type Cache = SandboxCache;
    type Store = MemoryStore;
    type Outbound = ScriptedOutbound;
    type Events = CapturedEvents;

    fn clock(&self) -> &ManualClock {
        &self.inner.clock
    }
    fn random(&self) -> &SandboxRandom {
        &self.inner.random
    }
    fn cache(&self) -> &SandboxCache {
        &self.inner.cache
    }
    fn store(&self) -> &MemoryStore {
        &self.inner.store
    }
    fn outbound(&self) -> &ScriptedOutbound {
        &self.inner.outbound
    }
    fn events(&self) -> &CapturedEvents {
        &self.inner.events
    }
}
