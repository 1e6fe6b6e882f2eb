//! The ID types both fuzz harnesses parse: the proptest one (`tests/fuzz.rs`) and the cargo-fuzz `id_parse` target
//! (`fuzz/fuzz_targets/id_parse.rs`, which includes this file by path). One per repr, prefixed and bare, and the
//! smallest and largest short strings.

use typed_ids::ShortStr;
use typed_ids::uuid::Uuid;

typed_ids::id! {
    /// u64, prefixed.
    pub(crate) CustomerId: u64, prefix = "cus";
    /// i64, a prefix with an underscore in it.
    pub(crate) LedgerEntryId: i64, prefix = "ledger_entry";
    /// u32, bare.
    pub(crate) SeatId: u32;
    /// UUID, prefixed (TypeID text form).
    pub(crate) OrderId: Uuid, prefix = "ord";
    /// UUID, bare (hyphenated text form).
    pub(crate) EventId: Uuid;
    /// Short string, prefixed.
    pub(crate) Sku: ShortStr<12>, prefix = "sku";
    /// Short string, bare.
    pub(crate) ExternalRef: ShortStr<8>;
    /// The smallest short string.
    pub(crate) Flag: ShortStr<1>, prefix = "f";
    /// The largest short string.
    pub(crate) Blob: ShortStr<128>;
}
