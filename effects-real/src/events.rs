//! Events to tracing and metrics.

use std::fmt::Write as _;

use effects::{Event, Events, Level};

/// Logs become `tracing` events (target `effects`, the fields rendered into `fields`); counters and histograms go
/// to the `metrics` facade, so whichever recorder the binary installs (Prometheus, ...) receives them.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingEvents;

impl Events for TracingEvents {
    fn emit(&self, event: Event) {
        match event {
            Event::Log { level, message, fields } => {
                let mut rendered = String::new();
                for (k, v) in &fields {
                    let _ = write!(rendered, "{}{k}={v}", if rendered.is_empty() { "" } else { " " });
                }
                match level {
                    Level::Error => tracing::error!(target: "effects", fields = %rendered, "{message}"),
                    Level::Warn => tracing::warn!(target: "effects", fields = %rendered, "{message}"),
                    Level::Info => tracing::info!(target: "effects", fields = %rendered, "{message}"),
                    Level::Debug => tracing::debug!(target: "effects", fields = %rendered, "{message}"),
                }
            }
            Event::Counter { name, labels, value } => {
                metrics::counter!(name, to_labels(labels)).increment(value);
            }
            Event::Histogram { name, labels, value } => {
                metrics::histogram!(name, to_labels(labels)).record(value);
            }
            other => tracing::debug!(target: "effects", event = %other, "unhandled event kind"),
        }
    }
}

fn to_labels(labels: effects::Labels) -> Vec<metrics::Label> {
    labels.into_iter().map(|(k, v)| metrics::Label::new(k, v)).collect()
}
