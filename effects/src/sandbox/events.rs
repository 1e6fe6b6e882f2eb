//! Captured events.

use std::sync::{Arc, Mutex, MutexGuard};

use super::Trace;
use super::gate::Gate;
use crate::events::{Event, Events, Level};

/// Keeps every event, in order, for tests to assert on; each is also written to the trace.
#[derive(Debug, Clone, Default)]
pub struct CapturedEvents {
    events: Arc<Mutex<Vec<Event>>>,
    trace: Option<Trace>,
    gate: Gate,
}

impl CapturedEvents {
    pub(crate) fn new(trace: Trace, gate: Gate) -> Self {
        Self { events: Arc::default(), trace: Some(trace), gate }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Event>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every event so far.
    pub fn all(&self) -> Vec<Event> {
        self.lock().clone()
    }

    /// The log lines so far, formatted `LEVEL message k=v`.
    pub fn logs(&self) -> Vec<String> {
        self.lock().iter().filter(|e| matches!(e, Event::Log { .. })).map(ToString::to_string).collect()
    }

    /// The messages logged at `level`.
    pub fn messages_at(&self, level: Level) -> Vec<String> {
        self.lock()
            .iter()
            .filter_map(|e| match e {
                Event::Log { level: l, message, .. } if *l == level => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    /// The sum of every increment of counter `name`, whatever its labels.
    pub fn counter_total(&self, name: &str) -> u64 {
        self.lock()
            .iter()
            .filter_map(|e| match e {
                Event::Counter { name: n, value, .. } if *n == name => Some(*value),
                _ => None,
            })
            .sum()
    }

    /// The sum of the increments of counter `name` carrying label `key` = `value`.
    pub fn counter_with(&self, name: &str, key: &str, value: &str) -> u64 {
        self.lock()
            .iter()
            .filter_map(|e| match e {
                Event::Counter { name: n, labels, value: v, .. }
                    if *n == name && labels.iter().any(|(k, l)| *k == key && l == value) =>
                {
                    Some(*v)
                }
                _ => None,
            })
            .sum()
    }
}

impl Events for CapturedEvents {
    fn emit(&self, event: Event) {
        self.gate.note(|| format!("event {event}"));
        if let Some(trace) = &self.trace {
            trace.record(format_args!("event {event}"));
        }
        self.lock().push(event);
    }
}
