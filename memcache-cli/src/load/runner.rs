//! Drives a target with a workload from many tasks and measures it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;

use super::{KeyBuf, KeySpace, Report, cpu_time};

/// What each request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// Single-key gets.
    Get,
    /// Single-key sets.
    Set,
    /// 90% gets, 10% sets (of the same values, so reads stay checkable).
    Mixed,
    /// Multi-key gets of `batch` keys.
    MultiGet,
}

impl std::str::FromStr for WorkloadKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "get" => Ok(WorkloadKind::Get),
            "set" => Ok(WorkloadKind::Set),
            "mixed" => Ok(WorkloadKind::Mixed),
            "mget" => Ok(WorkloadKind::MultiGet),
            other => Err(format!("unknown workload {other:?}: expected get, set, mixed or mget")),
        }
    }
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WorkloadKind::Get => "get",
            WorkloadKind::Set => "set",
            WorkloadKind::Mixed => "mixed",
            WorkloadKind::MultiGet => "mget",
        })
    }
}

/// A benchmark run's parameters.
#[derive(Debug, Clone)]
pub struct Workload {
    /// What each request does.
    pub kind: WorkloadKind,
    /// Concurrent tasks, each issuing one request at a time.
    pub concurrency: usize,
    /// Value size in bytes.
    pub value_size: usize,
    /// Keys per multi-get.
    pub batch: usize,
    /// Keys in the key space (populated before the run).
    pub keys: usize,
    /// Unmeasured warm-up.
    pub warmup: Duration,
    /// Measured time.
    pub duration: Duration,
    /// Seed of the per-task key choice.
    pub seed: u64,
}

impl Default for Workload {
    fn default() -> Self {
        Self {
            kind: WorkloadKind::Get,
            concurrency: 64,
            value_size: 100,
            batch: 100,
            keys: 10_000,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
            seed: 42,
        }
    }
}

impl Workload {
    /// A short description, e.g. `get c=64 v=100B`.
    pub fn describe(&self) -> String {
        let batch = if self.kind == WorkloadKind::MultiGet { format!(" batch={}", self.batch) } else { String::new() };
        format!("{} c={} v={}B{batch}", self.kind, self.concurrency, self.value_size)
    }
}

/// One connection's (or one task's) view of a target.
pub trait Session: Send + 'static {
    /// Reads one key.
    fn get(&mut self, key: &str) -> impl Future<Output = Result<Option<Bytes>, String>> + Send;
    /// Stores one key and waits for the server's answer.
    fn set(&mut self, key: &str, value: &Bytes) -> impl Future<Output = Result<(), String>> + Send;
    /// Reads many keys; returns the hits as (key, value).
    fn get_many<'a>(
        &'a mut self,
        keys: &'a [&'a str],
    ) -> impl Future<Output = Result<Vec<(Bytes, Bytes)>, String>> + Send + 'a;
}

/// Something to benchmark: hands out a session per task.
pub trait Target: Sync {
    /// The per-task session.
    type Session: Session;
    /// The name in reports.
    fn name(&self) -> String;
    /// A session for one task (a peer that needs a connection per task opens it here).
    fn session(&self) -> impl Future<Output = Result<Self::Session, String>> + Send;
}

/// Per-task state shared by every way of running a workload: key choice, checking and recording.
pub(crate) struct Worker {
    rng: u64,
    pub(crate) histogram: Histogram<u64>,
    pub(crate) ops: u64,
    pub(crate) wrong: u64,
    pub(crate) misses: u64,
    pub(crate) failures: u64,
    pub(crate) first_error: Option<String>,
}

/// One request to issue.
pub(crate) enum Op {
    Get(usize),
    Set(usize),
    MultiGet(Vec<usize>),
}

impl Worker {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: seed.max(1),
            // Two significant figures (p50 and p99 to within 1%): with three, the 64 tasks' histograms outgrew the CPU
            // caches and recording a latency cost more than some clients' whole request.
            histogram: Histogram::new_with_bounds(1, 60_000_000_000, 2).expect("valid histogram bounds"),
            ops: 0,
            wrong: 0,
            misses: 0,
            failures: 0,
            first_error: None,
        }
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn next_op(&mut self, workload: &Workload, keys: usize) -> Op {
        let mut key = || (self.next() % keys as u64) as usize;
        match workload.kind {
            WorkloadKind::Get => Op::Get(key()),
            WorkloadKind::Set => Op::Set(key()),
            WorkloadKind::Mixed => {
                if self.next().is_multiple_of(10) {
                    Op::Set((self.next() % keys as u64) as usize)
                } else {
                    Op::Get((self.next() % keys as u64) as usize)
                }
            }
            WorkloadKind::MultiGet => {
                Op::MultiGet((0..workload.batch).map(|_| (self.next() % keys as u64) as usize).collect())
            }
        }
    }

    fn error(&mut self, error: String) {
        self.failures += 1;
        self.first_error.get_or_insert(error);
    }

    /// Checks a single get's answer.
    pub(crate) fn check_get(&mut self, space: &KeySpace, index: usize, result: Result<Option<Bytes>, String>) {
        match result {
            Ok(Some(value)) if space.holds(index, &value) => {}
            Ok(Some(_)) => self.wrong += 1,
            Ok(None) => self.misses += 1,
            Err(e) => self.error(e),
        }
    }

    pub(crate) fn check_set(&mut self, result: Result<(), String>) {
        if let Err(e) = result {
            self.error(e);
        }
    }

    /// Checks a multi-get's answer: every requested key present with its own value, nothing else.
    pub(crate) fn check_many(
        &mut self,
        space: &KeySpace,
        wanted: &[usize],
        result: Result<Vec<(Bytes, Bytes)>, String>,
    ) {
        match result {
            Ok(hits) => {
                let mut distinct = wanted.to_vec();
                distinct.sort_unstable();
                distinct.dedup();
                for (key, value) in &hits {
                    match space.index_of(key) {
                        Some(i) if distinct.binary_search(&i).is_ok() && space.holds(i, value) => {}
                        _ => self.wrong += 1,
                    }
                }
                self.misses += distinct.len().saturating_sub(hits.len()) as u64;
            }
            Err(e) => self.error(e),
        }
    }

    /// Records one measured request that completed `ops` operations, and its latency if it was timed.
    pub(crate) fn record(&mut self, took: Option<std::time::Duration>, ops: u64) {
        if let Some(took) = took {
            let nanos = took.as_nanos().min(60_000_000_000) as u64;
            let _ = self.histogram.record(nanos.max(1));
        }
        self.ops += ops;
    }
}

/// Stores every key of `space` through `session`.
///
/// # Errors
/// The first failed set.
pub async fn populate<S: Session>(session: &mut S, space: &KeySpace) -> Result<(), String> {
    for i in 0..space.len() {
        session.set(&space.key(i), space.value(i)).await?;
    }
    Ok(())
}

/// Where a run is: warming up, measuring, or over. Set by the task that times the run, read by every worker once
/// per request (a relaxed load: no clock read is needed to know whether a request counts).
#[derive(Debug)]
pub(crate) struct Phase(AtomicU8);

impl Default for Phase {
    fn default() -> Self {
        Self(AtomicU8::new(Self::WARMUP))
    }
}

impl Phase {
    const WARMUP: u8 = 0;
    const MEASURING: u8 = 1;
    const OVER: u8 = 2;

    pub(crate) fn measure(&self) {
        self.0.store(Self::MEASURING, Ordering::Relaxed);
    }

    pub(crate) fn end(&self) {
        self.0.store(Self::OVER, Ordering::Relaxed);
    }

    /// `None` once the run is over; otherwise whether a request started now is measured.
    pub(crate) fn measuring(&self) -> Option<bool> {
        match self.0.load(Ordering::Relaxed) {
            Self::OVER => None,
            phase => Some(phase == Self::MEASURING),
        }
    }
}

/// Every this many requests of a task, one has its latency recorded. The clock is read only for those: a clock read
/// costs 75–110 ns on this machine's virtual clock, as much as a third of a pipelined request, and would be charged
/// to the client under test. Which requests are timed does not depend on how long they take, so the percentiles
/// are those of all requests (a 3 s run at 300k requests/s still records over 100,000 latencies).
pub(crate) const TIME_ONE_IN: u64 = 8;

/// Runs `workload` against `target`: populates the key space, warms up, measures, and reports.
///
/// # Errors
/// When the target cannot open sessions or populate the key space.
pub async fn run<T: Target>(target: &T, workload: &Workload) -> Result<Report, String> {
    let space = Arc::new(KeySpace::new(workload.keys.max(1), workload.value_size));
    populate(&mut target.session().await?, &space).await?;
    let mut sessions = Vec::with_capacity(workload.concurrency);
    for _ in 0..workload.concurrency.max(1) {
        sessions.push(target.session().await?);
    }
    let phase = Arc::new(Phase::default());
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(t, mut session)| {
            let (space, workload, phase) = (space.clone(), workload.clone(), phase.clone());
            tokio::spawn(async move {
                let mut worker = Worker::new(workload.seed ^ ((t as u64 + 1) << 32));
                let mut keys = KeyBuf::default();
                // Tasks start timing at different requests, so their timed requests do not line up.
                let mut count = t as u64;
                while let Some(measuring) = phase.measuring() {
                    count += 1;
                    let began = count.is_multiple_of(TIME_ONE_IN).then(Instant::now);
                    let op = worker.next_op(&workload, space.len());
                    let ops = match op {
                        Op::Get(i) => {
                            let result = session.get(keys.one(&space, i)).await;
                            worker.check_get(&space, i, result);
                            1
                        }
                        Op::Set(i) => {
                            let result = session.set(keys.one(&space, i), space.value(i)).await;
                            worker.check_set(result);
                            1
                        }
                        Op::MultiGet(indices) => {
                            let keys = keys.many(&space, &indices);
                            let result = session.get_many(&keys).await;
                            worker.check_many(&space, &indices, result);
                            indices.len() as u64
                        }
                    };
                    if measuring {
                        worker.record(began.map(|began| began.elapsed()), ops);
                    }
                }
                worker
            })
        })
        .collect();
    tokio::time::sleep(workload.warmup).await;
    phase.measure();
    let (start, cpu_start) = (Instant::now(), cpu_time());
    tokio::time::sleep(workload.duration).await;
    phase.end();
    let (took, cpu) = (start.elapsed(), cpu_time().saturating_sub(cpu_start));
    let mut workers = Vec::with_capacity(tasks.len());
    for task in tasks {
        workers.push(task.await.map_err(|e| format!("benchmark task panicked: {e}"))?);
    }
    Ok(Report::from_workers(target.name(), workload, workers, took, cpu))
}
