//! The record of every effect a sandbox run performed.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use super::ManualClock;
use crate::clock::Clock;

/// Lines of `t=<millis> <effect> <details>`, appended by every sandbox capability. Two runs with the same seed and
/// the same handler code produce byte-identical traces.
#[derive(Clone, Default)]
pub struct Trace {
    lines: Arc<Mutex<String>>,
    clock: ManualClock,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl Trace {
    pub(crate) fn new(clock: ManualClock) -> Self {
        Self { lines: Arc::default(), clock }
    }

    /// Appends one line, stamped with the clock's time.
    pub fn record(&self, line: std::fmt::Arguments<'_>) {
        let now = self.clock.now();
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(lines, "{now} {line}");
    }

    /// The whole trace so far.
    pub fn text(&self) -> String {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The trace's length in bytes: a mark for [`Trace::text_since`].
    pub(crate) fn len(&self) -> usize {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// What was recorded after `mark` (a [`Trace::len`]).
    pub(crate) fn text_since(&self, mark: usize) -> String {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).get(mark..).unwrap_or_default().to_owned()
    }
}
