//! Envelope and codec properties: round trips, and arbitrary bytes never panic the decoder.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};
use serde::{Deserialize, Serialize};

use super::envelope::{self, ENVELOPE_FLAGS, Integrity, Schema};
use super::{Bincode, Codec};
use crate::{Error, Rejection};

const SEED: u64 = 0x656e_7665_6c6f_7065;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(SEED),
        ..Config::default()
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Sample {
    id: u64,
    name: String,
    tags: Vec<String>,
    price: Option<i64>,
    kind: Kind,
    blob: Vec<u8>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Kind {
    Plain,
    Weighted(u32),
    Nested { depth: u8, label: String },
}

crate::cacheable!(Sample, "test.Sample", version = 7);

fn schema() -> Schema {
    Schema::of::<Sample>().expect("Sample traces")
}

fn sample() -> impl Strategy<Value = Sample> {
    let kind = prop_oneof![
        Just(Kind::Plain),
        any::<u32>().prop_map(Kind::Weighted),
        (any::<u8>(), ".{0,8}").prop_map(|(depth, label)| Kind::Nested { depth, label }),
    ];
    (any::<u64>(), ".{0,16}", vec(".{0,6}", 0..4), any::<Option<i64>>(), kind, vec(any::<u8>(), 0..64))
        .prop_map(|(id, name, tags, price, kind, blob)| Sample { id, name, tags, price, kind, blob })
}

fn round_trip<C: Codec>(value: &Sample) -> Result<Sample, Error> {
    let bytes = envelope::encode::<_, C>(&schema(), b"k", value)?;
    envelope::decode::<Sample, C>(&schema(), b"k", ENVELOPE_FLAGS, &bytes)
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn envelope_round_trips(value in sample()) {
        prop_assert_eq!(round_trip::<Bincode>(&value).unwrap(), value.clone());
        #[cfg(feature = "postcard")]
        prop_assert_eq!(round_trip::<super::Postcard>(&value).unwrap(), value);
    }

    #[test]
    fn checked_envelopes_round_trip(value in sample()) {
        let bytes = envelope::encode_with::<_, Bincode>(&schema(), b"k", &value, Integrity::Xxh3).unwrap();
        prop_assert_eq!(bytes[2], 2);
        prop_assert_eq!(envelope::decode::<Sample, Bincode>(&schema(), b"k", ENVELOPE_FLAGS, &bytes).unwrap(), value);
    }

    /// The corruption the checksum exists for: one flipped bit anywhere never decodes into an altered value.
    #[test]
    fn every_bit_flip_of_a_checked_envelope_is_corrupt(value in sample(), bit in any::<prop::sample::Index>()) {
        let mut bytes = envelope::encode_with::<_, Bincode>(&schema(), b"k", &value, Integrity::Xxh3).unwrap();
        let at = bit.index(bytes.len() * 8);
        bytes[at / 8] ^= 1 << (at % 8);
        let result = envelope::decode::<Sample, Bincode>(&schema(), b"k", ENVELOPE_FLAGS, &bytes);
        let corrupt = matches!(result, Err(Error::Rejected { reason: Rejection::Corrupt { .. }, .. }));
        prop_assert!(corrupt, "bit {}: {:?}", at, result);
    }

    #[test]
    fn every_truncation_is_corrupt(value in sample()) {
        let bytes = envelope::encode::<_, Bincode>(&schema(), b"k", &value).unwrap();
        for end in 0..bytes.len() {
            let result = envelope::decode::<Sample, Bincode>(&schema(), b"k", ENVELOPE_FLAGS, &bytes[..end]);
            let corrupt = matches!(result, Err(Error::Rejected { reason: Rejection::Corrupt { .. }, .. }));
            prop_assert!(corrupt, "prefix {}: {:?}", end, result);
        }
    }
}

proptest! {
    #![proptest_config(config(10_000))]

    /// Arbitrary bytes stored as an envelope never panic the decoder, whatever the codec.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..128)) {
        let _ = envelope::decode::<Sample, Bincode>(&schema(), b"k", ENVELOPE_FLAGS, &bytes);
        #[cfg(feature = "postcard")]
        let _ = envelope::decode::<Sample, super::Postcard>(&schema(), b"k", ENVELOPE_FLAGS, &bytes);
    }

    /// A valid header in front of an arbitrary payload reaches the codec; it must fail cleanly, never panic.
    #[test]
    fn arbitrary_payloads_never_panic(payload in vec(any::<u8>(), 0..128)) {
        let mut bytes = envelope::encode::<_, Bincode>(&schema(), b"k", &()).unwrap();
        bytes[3] = Bincode::ID;
        bytes[16..20].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&payload);
        match envelope::decode::<Sample, Bincode>(&schema(), b"k", ENVELOPE_FLAGS, &bytes) {
            Ok(_) | Err(Error::Rejected { reason: Rejection::Decode { .. }, .. }) => {}
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}

#[test]
fn huge_length_claims_fail_without_allocating_them() {
    // id = 1, then a String field claiming 2^60 bytes: varint marker 253 (a u64 follows), then the u64.
    let mut payload = vec![0x01];
    payload.push(253);
    payload.extend_from_slice(&(1u64 << 60).to_le_bytes());
    let result = Bincode::decode::<Sample>(&payload);
    assert!(result.as_ref().is_err_and(|e| e.contains("LimitExceeded")), "{result:?}");
}
