//! Logs and metrics as events.

use std::fmt;

/// A log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something is off but handled.
    Warn,
    /// Normal operation.
    Info,
    /// Detail for debugging.
    Debug,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        })
    }
}

/// Labels or fields: names and values, in order.
pub type Labels = Vec<(&'static str, String)>;

/// One log line or metric update.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A log line.
    Log {
        /// The level.
        level: Level,
        /// The message.
        message: String,
        /// Structured fields.
        fields: Labels,
    },
    /// A counter increment.
    Counter {
        /// The metric name.
        name: &'static str,
        /// Its labels.
        labels: Labels,
        /// The increment.
        value: u64,
    },
    /// A histogram sample (durations in seconds).
    Histogram {
        /// The metric name.
        name: &'static str,
        /// Its labels.
        labels: Labels,
        /// The sample.
        value: f64,
    },
}

impl fmt::Display for Event {
    /// One line: `INFO message k=v`, `counter name{k=v} +1`, `histogram name{k=v} 0.25`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn labels(f: &mut fmt::Formatter<'_>, labels: &Labels, sep: &str) -> fmt::Result {
            for (i, (k, v)) in labels.iter().enumerate() {
                write!(f, "{}{k}={v}", if i == 0 { "" } else { sep })?;
            }
            Ok(())
        }
        match self {
            Event::Log { level, message, fields } => {
                write!(f, "{level} {message}")?;
                if !fields.is_empty() {
                    f.write_str(" ")?;
                    labels(f, fields, " ")?;
                }
                Ok(())
            }
            Event::Counter { name, labels: l, value } => {
                write!(f, "counter {name}{{")?;
                labels(f, l, ",")?;
                write!(f, "}} +{value}")
            }
            Event::Histogram { name, labels: l, value } => {
                write!(f, "histogram {name}{{")?;
                labels(f, l, ",")?;
                write!(f, "}} {value}")
            }
        }
    }
}

/// Where logs and metrics go: tracing and `metrics` in production, a captured list in the sandbox.
pub trait Events: Send + Sync {
    /// Records one event.
    fn emit(&self, event: Event);

    /// Logs `message` at `level` with `fields`.
    fn log(&self, level: Level, message: impl Into<String>, fields: Labels) {
        self.emit(Event::Log { level, message: message.into(), fields });
    }

    /// Logs at [`Level::Info`].
    fn info(&self, message: impl Into<String>, fields: Labels) {
        self.log(Level::Info, message, fields);
    }

    /// Logs at [`Level::Warn`].
    fn warn(&self, message: impl Into<String>, fields: Labels) {
        self.log(Level::Warn, message, fields);
    }

    /// Increments counter `name` by `value`.
    fn counter(&self, name: &'static str, labels: Labels, value: u64) {
        self.emit(Event::Counter { name, labels, value });
    }

    /// Records a histogram sample.
    fn histogram(&self, name: &'static str, labels: Labels, value: f64) {
        self.emit(Event::Histogram { name, labels, value });
    }
}
