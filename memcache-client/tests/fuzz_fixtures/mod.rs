//! The types both fuzz harnesses decode envelopes as: the proptest one (`tests/fuzz.rs`) and the cargo-fuzz
//! `envelope` target (`fuzz/fuzz_targets/envelope.rs`, which includes this file by path). One definition, so a
//! crash input found by either replays against the same shapes.

use std::collections::{BTreeMap, HashMap};

use memcache_client::typed::Schema;
use serde::{Deserialize, Serialize};

/// A payload with the shapes a codec reads lengths for: strings, byte vectors, nested options and maps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) tags: Vec<String>,
    pub(crate) blob: Vec<u8>,
    pub(crate) parent: Option<Box<Payload>>,
    pub(crate) scores: BTreeMap<String, i64>,
}

/// [`Payload`]'s schema.
pub(crate) const PAYLOAD: Schema = Schema { type_name: "fuzz.Payload", version: 3, fingerprint: 0x1234_5678_9abc_def0 };

/// An enum with every kind of variant, chars (not every `u32` is one), wide integers, tuples, arrays and a hash map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Event {
    Created { at: u64, by: Option<String> },
    Renamed(String, String),
    Tagged(Vec<(u8, char)>),
    Moved { from: i128, to: u128, flags: [bool; 3] },
    Scored(i16, u32, Option<i64>),
    Indexed(HashMap<u16, bool>),
    Deleted,
}

/// [`Event`]'s schema (fingerprint 0: untraced).
pub(crate) const EVENT: Schema = Schema { type_name: "fuzz.Event", version: 1, fingerprint: 0 };
