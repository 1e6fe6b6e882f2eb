//! The load generator's promise, tried from outside with targets that lie: every value read is checked against
//! what its key holds, so a fast wrong answer counts as an error, never as throughput alone.
//!
//! The targets here answer at once (no server), so each run is a few milliseconds of the benchmark's own clock.

use std::time::Duration;

use bytes::Bytes;
use memcache_cli::load::{KeySpace, Report, Session, Target, Workload, WorkloadKind, run};

/// How a fake target answers a get of key `i`.
#[derive(Clone, Copy)]
enum Answer {
    /// What key `i` holds.
    Honest,
    /// What key `i + 1` holds: the right length, the wrong value.
    Neighbour,
    /// What key `i` holds, one byte flipped in its middle.
    Flipped,
    /// What key `i` holds with one more byte.
    Longer,
    /// Nothing.
    Miss,
}

struct Fake {
    answer: Answer,
    space: KeySpace,
}

impl Target for Fake {
    type Session = Fake;

    fn name(&self) -> String {
        "fake".into()
    }

    async fn session(&self) -> Result<Fake, String> {
        Ok(Fake { answer: self.answer, space: self.space.clone() })
    }
}

impl Fake {
    fn answer(&self, key: &[u8]) -> Option<Bytes> {
        let i = self.space.index_of(key).expect("one of the key space's keys");
        let holds = |i: usize| self.space.value(i % self.space.len()).to_vec();
        match self.answer {
            Answer::Honest => Some(holds(i)),
            Answer::Neighbour => Some(holds(i + 1)),
            Answer::Flipped => {
                let mut value = holds(i);
                let middle = value.len() / 2;
                value[middle] ^= 0x20;
                Some(value)
            }
            Answer::Longer => Some([holds(i), b"!".to_vec()].concat()),
            Answer::Miss => None,
        }
        .map(Bytes::from)
    }
}

impl Session for Fake {
    async fn get(&mut self, key: &str) -> Result<Option<Bytes>, String> {
        // Gives the runtime a turn, as a real request would, so the run's own timer can end it.
        tokio::task::yield_now().await;
        Ok(self.answer(key.as_bytes()))
    }

    async fn set(&mut self, _key: &str, _value: &Bytes) -> Result<(), String> {
        Ok(())
    }

    async fn get_many<'a>(&'a mut self, keys: &'a [&'a str]) -> Result<Vec<(Bytes, Bytes)>, String> {
        tokio::task::yield_now().await;
        Ok(keys
            .iter()
            .filter_map(|k| Some((Bytes::copy_from_slice(k.as_bytes()), self.answer(k.as_bytes())?)))
            .collect())
    }
}

async fn run_with(answer: Answer, kind: WorkloadKind) -> Report {
    let workload = Workload {
        kind,
        concurrency: 4,
        value_size: 100,
        batch: 10,
        keys: 200,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(20),
        seed: 7,
    };
    let target = Fake { answer, space: KeySpace::new(workload.keys, workload.value_size) };
    run(&target, &workload).await.expect("the fake target runs")
}

#[tokio::test]
async fn an_honest_target_has_no_wrong_values_and_every_lie_is_counted() {
    for kind in [WorkloadKind::Get, WorkloadKind::MultiGet] {
        let honest = run_with(Answer::Honest, kind).await;
        assert!(honest.ops > 0, "{kind}: {honest:?}");
        assert_eq!((honest.wrong, honest.misses, honest.failures), (0, 0, 0), "{kind}: {honest:?}");

        for lie in [Answer::Neighbour, Answer::Flipped, Answer::Longer] {
            let report = run_with(lie, kind).await;
            assert!(report.ops > 0, "{kind}: {report:?}");
            // Every value read was wrong: a get is one value, a multi-get of distinct keys one per key.
            assert!(report.wrong > 0 && report.wrong >= report.ops / 2, "{kind}: {report:?}");
            assert_eq!(report.misses, 0, "{kind}: a wrong value is not a miss");
        }

        let missing = run_with(Answer::Miss, kind).await;
        assert_eq!(missing.wrong, 0, "{kind}: {missing:?}");
        assert!(missing.misses > 0, "{kind}: a key reported missing is counted: {missing:?}");
    }
}
