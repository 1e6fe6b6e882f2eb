//! Exponential backoff with jitter between the connect attempts of one connection.

use std::time::Duration;

use crate::config::Config;

/// Exponential backoff with jitter between connect attempts of one connection.
#[derive(Debug)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
    rng: u64,
}

impl Backoff {
    pub(crate) fn new(config: &Config, seed: u64) -> Self {
        let initial = config.reconnect_backoff;
        Self { initial, max: config.reconnect_backoff_max.max(initial), current: initial, rng: seed | 1 }
    }

    /// The wait before the next attempt: the current step plus up to a quarter of it as jitter; the step doubles.
    pub(crate) fn next_delay(&mut self) -> Duration {
        // xorshift64: deterministic per connection, and enough to keep many clients from reconnecting in step.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let base = self.current;
        let jitter_range = u64::try_from(base.as_nanos() / 4).unwrap_or(u64::MAX);
        let jitter = if jitter_range == 0 { 0 } else { self.rng % jitter_range };
        self.current = (self.current * 2).min(self.max);
        base + Duration::from_nanos(jitter)
    }

    /// A connect succeeded: the next failure starts from the first step again.
    pub(crate) fn reset(&mut self) {
        self.current = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_bounded_jitter() {
        let config = Config {
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_millis(400),
            ..Config::default()
        };
        let mut backoff = Backoff::new(&config, 0x9e37_79b9_7f4a_7c15);
        let steps = [50, 100, 200, 400, 400];
        for step in steps {
            let d = backoff.next_delay();
            let base = Duration::from_millis(step);
            assert!(d >= base && d <= base + base / 4, "delay {d:?} for step {base:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() < Duration::from_millis(63));
    }
}
