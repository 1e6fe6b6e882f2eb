//! Drives a blocking (synchronous) client from OS threads, the way such a client is really used.
//!
//! The async [`run`](super::run) would have to park a runtime thread on every blocking call, so a sync client gets
//! its own runner: one OS thread per session, each a plain loop. Key choice, checking and recording are the same
//! [`Worker`] as the async runner's, so the two report the same way.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use super::runner::{Op, Phase, TIME_ONE_IN, Worker};
use super::{KeyBuf, KeySpace, Report, Workload, cpu_time};

/// One thread's connection to a blocking target: the sync twin of [`Session`](super::Session).
pub trait BlockingSession: Send + 'static {
    /// Reads one key.
    ///
    /// # Errors
    /// Whatever the client reports, as text.
    fn get(&mut self, key: &str) -> Result<Option<Bytes>, String>;
    /// Stores one key and waits for the server's answer.
    ///
    /// # Errors
    /// Whatever the client reports, as text.
    fn set(&mut self, key: &str, value: &Bytes) -> Result<(), String>;
    /// Reads many keys; returns the hits as (key, value).
    ///
    /// # Errors
    /// Whatever the client reports, as text.
    fn get_many(&mut self, keys: &[&str]) -> Result<Vec<(Bytes, Bytes)>, String>;
}

/// Something blocking to benchmark: hands out a session per thread.
pub trait BlockingTarget: Sync {
    /// The per-thread session.
    type Session: BlockingSession;
    /// The name in reports.
    fn name(&self) -> String;
    /// A session for one thread (its own connection).
    ///
    /// # Errors
    /// When the session cannot connect.
    fn session(&self) -> Result<Self::Session, String>;
}

/// Runs `workload` against `target` from `workload.concurrency` OS threads: populates the key space, warms up,
/// measures, and reports, exactly as [`run`](super::run) does for async targets.
///
/// # Errors
/// When the target cannot open sessions or populate the key space, or a thread panics.
pub fn run_blocking<T: BlockingTarget>(target: &T, workload: &Workload) -> Result<Report, String> {
    let space = Arc::new(KeySpace::new(workload.keys.max(1), workload.value_size));
    let mut first = target.session()?;
    for i in 0..space.len() {
        first.set(&space.key(i), space.value(i))?;
    }
    drop(first);
    let mut sessions = Vec::with_capacity(workload.concurrency);
    for _ in 0..workload.concurrency.max(1) {
        sessions.push(target.session()?);
    }
    let phase = Arc::new(Phase::default());
    let threads: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(t, mut session)| {
            let (space, workload, phase) = (space.clone(), workload.clone(), phase.clone());
            std::thread::spawn(move || {
                let mut worker = Worker::new(workload.seed ^ ((t as u64 + 1) << 32));
                let mut keys = KeyBuf::default();
                let mut count = t as u64;
                while let Some(measuring) = phase.measuring() {
                    count += 1;
                    let began = count.is_multiple_of(TIME_ONE_IN).then(Instant::now);
                    let ops = match worker.next_op(&workload, space.len()) {
                        Op::Get(i) => {
                            let result = session.get(keys.one(&space, i));
                            worker.check_get(&space, i, result);
                            1
                        }
                        Op::Set(i) => {
                            let result = session.set(keys.one(&space, i), space.value(i));
                            worker.check_set(result);
                            1
                        }
                        Op::MultiGet(indices) => {
                            let keys = keys.many(&space, &indices);
                            let result = session.get_many(&keys);
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
    std::thread::sleep(workload.warmup);
    phase.measure();
    let (start, cpu_start) = (Instant::now(), cpu_time());
    std::thread::sleep(workload.duration);
    phase.end();
    let (took, cpu) = (start.elapsed(), cpu_time().saturating_sub(cpu_start));
    let mut workers = Vec::with_capacity(threads.len());
    for thread in threads {
        workers.push(thread.join().map_err(|_| "benchmark thread panicked".to_owned())?);
    }
    Ok(Report::from_workers(target.name(), workload, workers, took, cpu))
}
