//! What a run is made of, drawn from its seed: the scenario's requests (by [`Draw`]) and a [`FaultPlan`].

use std::fmt;
use std::time::Duration;

use crate::random::Random;
use crate::sandbox::faults::Target;
use crate::sandbox::{CacheFault, OutboundFault, SeededRandom, StoreFault};

/// The seeded stream a scenario draws its requests and faults from. It is not the sandbox's random stream, so
/// dropping a request while shrinking leaves the handlers' IDs as they were.
#[derive(Debug)]
pub struct Draw {
    rng: SeededRandom,
}

impl Draw {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Self {
        Self { rng: SeededRandom::new(seed ^ 0xd8a3_9e1f_0000_0003) }
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.rng.below(n) }
    }

    /// A number in `low..=high` (`low` if the range is empty).
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low).saturating_add(1))
    }

    /// `true` with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, uniformly; `None` if it is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// The cache refuses the connection ([`CacheFault::Down`]).
    CacheDown,
    /// The cache does not answer within this many milliseconds ([`CacheFault::Timeout`]).
    CacheTimeout(u32),
    /// The store cannot be reached ([`StoreFault::Unavailable`]).
    StoreUnavailable,
    /// The transaction loses a race and is rolled back ([`StoreFault::Conflict`]).
    StoreConflict,
    /// The outbound call cannot connect ([`OutboundFault::Connect`]).
    OutboundConnect,
    /// The outbound call gets no answer within this many milliseconds ([`OutboundFault::Timeout`]).
    OutboundTimeout(u32),
}

impl FaultKind {
    pub(crate) fn target(self) -> Target {
        match self {
            FaultKind::CacheDown | FaultKind::CacheTimeout(_) => Target::Cache,
            FaultKind::StoreUnavailable | FaultKind::StoreConflict => Target::Store,
            FaultKind::OutboundConnect | FaultKind::OutboundTimeout(_) => Target::Outbound,
        }
    }

    pub(crate) fn cache(self) -> Option<CacheFault> {
        match self {
            FaultKind::CacheDown => Some(CacheFault::Down),
            FaultKind::CacheTimeout(ms) => Some(CacheFault::Timeout(Duration::from_millis(u64::from(ms)))),
            _ => None,
        }
    }

    pub(crate) fn store(self) -> Option<StoreFault> {
        match self {
            FaultKind::StoreUnavailable => Some(StoreFault::Unavailable),
            FaultKind::StoreConflict => Some(StoreFault::Conflict),
            _ => None,
        }
    }

    pub(crate) fn outbound(self) -> Option<OutboundFault> {
        match self {
            FaultKind::OutboundConnect => Some(OutboundFault::Connect),
            FaultKind::OutboundTimeout(ms) => Some(OutboundFault::Timeout(Duration::from_millis(u64::from(ms)))),
            _ => None,
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::CacheDown => f.write_str("cache.down"),
            FaultKind::CacheTimeout(ms) => write!(f, "cache.timeout({ms}ms)"),
            FaultKind::StoreUnavailable => f.write_str("store.unavailable"),
            FaultKind::StoreConflict => f.write_str("store.conflict"),
            FaultKind::OutboundConnect => f.write_str("outbound.connect"),
            FaultKind::OutboundTimeout(ms) => write!(f, "outbound.timeout({ms}ms)"),
        }
    }
}

/// One fault of a plan: `kind` hits task `task`'s call number `at` to the capability (counting from 0). Keyed by
/// task, a fault stays on the same call when shrinking drops other requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedFault {
    /// The task (the request's index) it hits.
    pub task: u32,
    /// The task's call to the capability it hits.
    pub at: u32,
    /// What goes wrong.
    pub kind: FaultKind,
}

impl fmt::Display for PlannedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@task{}.call{}", self.kind, self.task, self.at)
    }
}

/// The faults of one run, as data: printed with a failure and shrunk like the requests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaultPlan(pub Vec<PlannedFault>);

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// A plan for `tasks` tasks drawn from `menu`: up to `menu.max_faults` faults, each a kind from the menu on
    /// one task's call below `menu.within_calls` to its capability.
    pub fn draw(draw: &mut Draw, menu: &FaultMenu, tasks: usize) -> Self {
        if menu.kinds.is_empty() || tasks == 0 {
            return Self::none();
        }
        let count = draw.below(u64::from(menu.max_faults) + 1);
        let faults = (0..count)
            .filter_map(|_| {
                let kind = *draw.pick(&menu.kinds)?;
                let task = u32::try_from(draw.below(tasks as u64)).unwrap_or(0);
                let at = u32::try_from(draw.below(u64::from(menu.within_calls))).unwrap_or(0);
                Some(PlannedFault { task, at, kind })
            })
            .collect();
        Self(faults)
    }
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (i, fault) in self.0.iter().enumerate() {
            write!(f, "{}{fault}", if i == 0 { "" } else { ", " })?;
        }
        Ok(())
    }
}

/// The faults a scenario's runs may draw.
///
/// ```
/// use effects::sandbox::sim::{Draw, FaultKind, FaultMenu, FaultPlan};
///
/// let menu = FaultMenu::new([FaultKind::CacheDown, FaultKind::StoreConflict]).max_faults(2).within_calls(20);
/// let plan = FaultPlan::draw(&mut Draw::new(7), &menu, 4);
/// assert!(plan.0.len() <= 2 && plan.0.iter().all(|f| f.at < 20 && f.task < 4));
/// assert_eq!(plan, FaultPlan::draw(&mut Draw::new(7), &menu, 4), "the same seed draws the same plan");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultMenu {
    kinds: Vec<FaultKind>,
    max_faults: u32,
    within_calls: u32,
}

impl FaultMenu {
    /// A menu of `kinds`, by default at most 2 faults within a task's first 8 calls to each capability.
    pub fn new(kinds: impl IntoIterator<Item = FaultKind>) -> Self {
        Self { kinds: kinds.into_iter().collect(), max_faults: 2, within_calls: 8 }
    }

    /// At most `n` faults per run (the number is drawn from `0..=n`).
    #[must_use]
    pub fn max_faults(mut self, n: u32) -> Self {
        self.max_faults = n;
        self
    }

    /// Faults hit a task's calls numbered below `n`.
    #[must_use]
    pub fn within_calls(mut self, n: u32) -> Self {
        self.within_calls = n.max(1);
        self
    }
}
