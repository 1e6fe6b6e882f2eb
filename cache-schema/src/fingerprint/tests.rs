//! The tracer on types of every shape: each traces to its own fingerprint, or fails with a reason.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};

use super::{digest, trace, trace_shape};

/// Traces `T` without samples.
fn plain<T: Serialize + serde::de::DeserializeOwned>() -> Result<u64, String> {
    trace::<T>(&[])
}

/// The fingerprint of the shape alone (no Rust type name), for comparing types that live at different paths.
fn shape<T: Serialize + serde::de::DeserializeOwned>(samples: &[T]) -> u64 {
    digest(&trace_shape::<T>(samples).unwrap()).unwrap()
}

#[test]
fn fingerprint_is_stable_and_shape_sensitive() {
    mod a {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(super) struct A {
            pub(super) x: u32,
        }
    }
    mod b {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(super) struct A {
            pub(super) x: u64,
        }
    }
    let first = plain::<a::A>().unwrap();
    assert_eq!(first, plain::<a::A>().unwrap());
    assert_ne!(first, super::UNCHECKED);
    assert_ne!(shape::<a::A>(&[]), shape::<b::A>(&[]), "a field's type changed");
}

#[test]
fn enums_inside_structs_are_traced_and_their_variants_count() {
    mod before {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct Order {
            pub(crate) id: u64,
            pub(crate) state: State,
            pub(crate) history: Vec<State>,
        }
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) enum State {
            Open,
            Paid { amount: u64 },
            Shipped(String),
        }
    }
    mod after {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct Order {
            pub(crate) id: u64,
            pub(crate) state: State,
            pub(crate) history: Vec<State>,
        }
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) enum State {
            Open,
            Paid { amount: u64 },
            Refunded { amount: u64 },
            Shipped(String),
        }
    }
    // Shapes alone: the two live at different paths, which would tell them apart by itself.
    let before = shape::<before::Order>(&[]);
    assert_eq!(before, shape::<before::Order>(&[]), "the same shape traces to the same fingerprint");
    assert_ne!(before, shape::<after::Order>(&[]), "a variant inserted in a nested enum changes it");
}

#[test]
fn generic_instantiations_differ() {
    #[derive(Serialize, Deserialize)]
    struct Entry<T> {
        value: T,
        seen: u32,
    }
    let u = plain::<Entry<u64>>().unwrap();
    let s = plain::<Entry<String>>().unwrap();
    let v = plain::<Entry<Vec<u8>>>().unwrap();
    assert!(u != s && s != v && u != v, "{u:x} {s:x} {v:x}");
}

#[test]
fn same_named_types_differ_by_path() {
    mod one {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct Item {
            pub(crate) x: u32,
        }
    }
    mod two {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct Item {
            pub(crate) x: u32,
        }
    }
    assert_eq!(shape::<one::Item>(&[]), shape::<two::Item>(&[]), "the same shape...");
    assert_ne!(plain::<one::Item>().unwrap(), plain::<two::Item>().unwrap(), "...at two paths: two types");
}

#[test]
fn validating_and_binary_types_trace_without_help() {
    #[derive(Serialize, Deserialize)]
    struct Counts {
        id: NonZeroU32,
        key: uuid::Uuid,
        raw: Vec<u8>,
        by_name: HashMap<String, u32>,
        sorted: BTreeMap<u64, Vec<String>>,
        pair: (u8, i64),
        next: Option<Box<Counts>>,
    }
    #[derive(Serialize, Deserialize)]
    struct Unit;
    #[derive(Serialize, Deserialize)]
    struct Tuple(u32, String);
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct Meters(u64);
    for result in [plain::<Counts>(), plain::<Unit>(), plain::<Tuple>(), plain::<Meters>(), plain::<char>()] {
        result.unwrap();
    }
}

#[test]
fn deserialize_any_types_fail_with_the_reason() {
    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Loose {
        Number(u64),
        Text(String),
    }
    #[derive(Serialize, Deserialize)]
    struct Inner {
        a: u32,
    }
    #[derive(Serialize, Deserialize)]
    struct Flat {
        #[serde(flatten)]
        inner: Inner,
        b: u32,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(tag = "type")]
    enum Tagged {
        A { x: u32 },
    }
    for error in [plain::<Loose>(), plain::<Flat>(), plain::<Tagged>()] {
        let error = error.unwrap_err();
        assert!(error.starts_with("its Deserialize calls deserialize_") && error.contains("untagged"), "{error}");
    }
    // Samples cannot help: the codecs could not decode such a value either.
    assert!(trace::<Loose>(&[Loose::Number(1)]).unwrap_err().contains("deserialize_any"));
}

/// Accepts only `"id_<digits>"`, like a prefixed ID.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(try_from = "String", into = "String")]
struct Prefixed(u64);

impl TryFrom<String> for Prefixed {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        text.strip_prefix("id_").and_then(|n| n.parse().ok()).map(Prefixed).ok_or(format!("bad id {text:?}"))
    }
}

impl From<Prefixed> for String {
    fn from(id: Prefixed) -> String {
        format!("id_{}", id.0)
    }
}

#[test]
fn parsing_types_need_samples_and_say_so() {
    #[derive(Serialize, Deserialize)]
    struct Account {
        id: Prefixed,
        credits: u64,
    }
    let error = plain::<Account>().unwrap_err();
    assert!(error.contains("bad id") && error.contains("samples"), "{error}");

    let sampled = shape::<Account>(&[Account { id: Prefixed(1), credits: 2 }]);
    mod changed {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(super) struct Account {
            pub(super) id: super::Prefixed,
            pub(super) credits: u32,
        }
    }
    let other = shape::<changed::Account>(&[changed::Account { id: Prefixed(1), credits: 2 }]);
    assert_ne!(sampled, other, "a field retyped behind a parsing field still changes the fingerprint");
}

#[test]
fn samples_that_leave_a_part_unknown_fail() {
    #[derive(Serialize, Deserialize)]
    struct Page {
        items: Vec<Prefixed>,
        next: Option<Prefixed>,
    }
    let empty = trace::<Page>(&[Page { items: vec![], next: Some(Prefixed(1)) }]).unwrap_err();
    assert!(empty.contains("unknown"), "{empty}");
    let none = trace::<Page>(&[Page { items: vec![Prefixed(1)], next: None }]).unwrap_err();
    assert!(none.contains("unknown"), "{none}");
    trace::<Page>(&[Page { items: vec![Prefixed(1)], next: Some(Prefixed(2)) }]).unwrap();
}

#[test]
fn two_different_same_named_types_inside_one_are_told_apart() {
    mod one {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct Address {
            pub(crate) street: String,
        }
    }
    mod two {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct Address {
            pub(crate) zip: u32,
        }
    }
    mod two_changed {
        #[derive(serde::Serialize, serde::Deserialize)]
        pub(crate) struct Address {
            pub(crate) zip: u64,
        }
    }
    #[derive(Serialize, Deserialize)]
    struct Order {
        billing: one::Address,
        shipping: two::Address,
    }
    #[derive(Serialize, Deserialize)]
    #[serde(rename = "Order")]
    struct OrderChanged {
        billing: one::Address,
        shipping: two_changed::Address,
    }
    // serde names both `Address`: the tracer alone would see one container with two shapes.
    let order = shape::<Order>(&[]);
    assert_eq!(order, shape::<Order>(&[]));
    assert_ne!(order, shape::<OrderChanged>(&[]), "a change in one of the two is seen");
}

#[test]
fn two_instantiations_of_one_generic_inside_one_are_told_apart() {
    #[derive(Serialize, Deserialize)]
    struct Entry<T> {
        value: T,
    }
    #[derive(Serialize, Deserialize)]
    struct Pair<A, B> {
        left: Entry<A>,
        right: Entry<B>,
    }
    let a = shape::<Pair<u64, String>>(&[]);
    let b = shape::<Pair<u64, Vec<u8>>>(&[]);
    let c = shape::<Pair<u32, String>>(&[]);
    assert!(a != b && a != c && b != c, "{a:x} {b:x} {c:x}");
}

/// Fingerprints are stored in every envelope, so the algorithm must not drift unnoticed: a change here turns every
/// cached value into a miss, and must be deliberate.
#[test]
fn fingerprints_are_pinned() {
    #[derive(Serialize, Deserialize)]
    struct Product {
        name: String,
        price: u64,
        tags: Vec<String>,
        size: Option<Size>,
        stock: BTreeMap<String, u32>,
    }
    #[derive(Serialize, Deserialize)]
    struct Size(u16, u16);
    #[derive(Serialize, Deserialize)]
    enum Kind {
        Plain,
        Weighted(u32),
        Nested { depth: u8, label: Option<String> },
    }
    let pinned = [plain::<Product>().unwrap(), plain::<Kind>().unwrap(), plain::<String>().unwrap()];
    assert_eq!(pinned, [0xd193_d63b_3559_7e2e, 0x9eec_874a_7a0e_c16b, 0xffad_3aab_e2f0_654a], "{pinned:#x?}");
}

#[test]
fn a_panicking_deserialize_is_an_error_not_a_panic() {
    #[derive(Serialize)]
    struct Boom;
    impl<'de> Deserialize<'de> for Boom {
        fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            panic!("validation by panic")
        }
    }
    crate::cacheable!(Boom, "test.Boom", version = 1);
    match super::traced::<Boom>() {
        Err(crate::SchemaError::Untraceable { type_name: "test.Boom", reason, .. }) => {
            assert!(reason.contains("panicked"), "{reason}")
        }
        other => panic!("expected Untraceable, got {other:?}"),
    }
}
