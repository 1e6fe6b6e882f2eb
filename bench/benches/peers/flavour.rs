//! The tokio runtime flavours the async targets run on.

use tokio::runtime::{Builder, Runtime};

/// A tokio runtime flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// Everything on the thread that calls `block_on`.
    Current,
    /// Tasks on `--workers` worker threads.
    Multi,
}

impl Flavour {
    /// Both, in the order their rows run and their tables print.
    pub(crate) const ALL: [Flavour; 2] = [Flavour::Current, Flavour::Multi];

    /// The flavour `--flavours` names.
    pub(crate) fn parse(name: &str) -> Result<Self, String> {
        match name {
            "current" | "current-thread" => Ok(Flavour::Current),
            "multi" | "multi-thread" => Ok(Flavour::Multi),
            other => Err(format!("unknown runtime flavour {other:?}: expected current or multi")),
        }
    }

    /// The short name in progress lines and the targets table.
    pub(crate) fn short(self) -> &'static str {
        match self {
            Flavour::Current => "current",
            Flavour::Multi => "multi",
        }
    }

    /// The heading of this flavour's table.
    pub(crate) fn title(self, workers: usize) -> String {
        match self {
            Flavour::Current => "current-thread runtime".to_owned(),
            Flavour::Multi => format!("multi-threaded runtime ({workers} workers)"),
        }
    }

    /// A runtime of this flavour.
    pub(crate) fn runtime(self, workers: usize) -> std::io::Result<Runtime> {
        match self {
            Flavour::Current => Builder::new_current_thread().enable_all().build(),
            Flavour::Multi => Builder::new_multi_thread().worker_threads(workers).enable_all().build(),
        }
    }
}
