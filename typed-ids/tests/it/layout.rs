//! Zero cost: same size and alignment as the repr; the derived traits are there.

use core::mem::{align_of, size_of};
use std::collections::{BTreeSet, HashSet};

use typed_ids::ShortStr;
use typed_ids::uuid::Uuid;

use crate::ids::*;

fn assert_same_layout<Id, Repr>() {
    assert_eq!(size_of::<Id>(), size_of::<Repr>(), "size of {}", core::any::type_name::<Id>());
    assert_eq!(align_of::<Id>(), align_of::<Repr>(), "align of {}", core::any::type_name::<Id>());
    assert_eq!(size_of::<Option<Id>>(), size_of::<Option<Repr>>());
}

#[test]
fn ids_have_the_layout_of_their_repr() {
    assert_same_layout::<CustomerId, u64>();
    assert_same_layout::<LedgerEntryId, i64>();
    assert_same_layout::<SeatId, u32>();
    assert_same_layout::<OrderId, Uuid>();
    assert_same_layout::<EventId, Uuid>();
    assert_same_layout::<Sku, ShortStr<12>>();
    assert_eq!(size_of::<Sku>(), 13);
    assert_eq!(align_of::<Sku>(), 1);
}

// Checked when the tests compile.
const _: () = assert!(size_of::<CustomerId>() == 8 && align_of::<CustomerId>() == 8);

fn is_copy_send_sync<T: Copy + Send + Sync + 'static>() {}

#[test]
fn ids_are_copy_eq_ord_hash() {
    is_copy_send_sync::<CustomerId>();
    is_copy_send_sync::<OrderId>();
    is_copy_send_sync::<Sku>();

    let a = CustomerId::new(2);
    let b = a; // Copy
    assert_eq!(a, b);
    assert!(CustomerId::new(1) < a);

    let set: BTreeSet<_> = [3, 1, 2].map(CustomerId::new).into_iter().collect();
    assert_eq!(set.into_iter().map(CustomerId::get).collect::<Vec<_>>(), [1, 2, 3]);
    let hashed: HashSet<_> = [SeatId::new(1), SeatId::new(1), SeatId::new(2)].into_iter().collect();
    assert_eq!(hashed.len(), 2);
}

#[test]
fn debug_names_the_type() {
    assert_eq!(format!("{:?}", CustomerId::new(5)), "CustomerId(5)");
    assert_eq!(format!("{:?}", LedgerEntryId::new(-5)), "LedgerEntryId(-5)");
    assert_eq!(format!("{:?}", EventId::new(Uuid::nil())), "EventId(00000000-0000-0000-0000-000000000000)");
    assert_eq!(format!("{:?}", Sku::new(ShortStr::from_static("A-1"))), "Sku(\"A-1\")");
}

#[test]
fn new_and_get_are_const() {
    const C: CustomerId = CustomerId::new(7);
    const RAW: u64 = C.get();
    assert_eq!(RAW, 7);
}

#[test]
fn trait_constants_describe_the_type() {
    use typed_ids::{Id, SerdeForm};
    assert_eq!(CustomerId::TYPE_NAME, "CustomerId");
    assert_eq!(<CustomerId as Id>::PREFIX, Some("cus"));
    assert_eq!(<SeatId as Id>::PREFIX, None);
    assert_eq!(CustomerId::CACHE_NAMESPACE, "customer");
    assert_eq!(LedgerEntryId::CACHE_NAMESPACE, "ledger_entry");
    assert_eq!(CounterId::CACHE_NAMESPACE, "ctr");
    assert_eq!(CustomerId::SERDE_FORM, SerdeForm::Transparent);
    assert_eq!(OrderId::SERDE_FORM, SerdeForm::Prefixed);
}
