//! The ID types the tests share: every repr, with and without prefix, both serde forms.

use typed_ids::ShortStr;
use typed_ids::uuid::Uuid;

typed_ids::id! {
    /// A customer (u64, prefixed, transparent serde).
    pub(crate) CustomerId: u64, prefix = "cus";
    /// A product (u64, prefixed): must never be taken for a customer.
    pub(crate) ProductId: u64, prefix = "prd";
    /// A ledger entry (i64, prefix with an underscore, prefixed serde).
    pub(crate) LedgerEntryId: i64, prefix = "ledger_entry", serde = prefixed;
    /// A seat (u32, no prefix).
    pub(crate) SeatId: u32;
    /// A counter (u64, no prefix, custom cache namespace).
    pub(crate) CounterId: u64, cache = "ctr";
    /// An order (UUID, prefixed serde).
    pub(crate) OrderId: Uuid, prefix = "ord", serde = prefixed;
    /// A session (UUID, prefixed, transparent serde).
    pub(crate) SessionId: Uuid, prefix = "sess";
    /// An event (UUID, no prefix).
    pub(crate) EventId: Uuid;
    /// A stock-keeping unit (short string, prefixed).
    pub(crate) Sku: ShortStr<12>, prefix = "sku";
    /// An external reference (short string, no prefix, prefixed serde).
    pub(crate) ExternalRef: ShortStr<8>, serde = prefixed;
}

/// The TypeID spec's example UUID and its base32 form.
pub(crate) const SPEC_UUID: Uuid = Uuid::from_u128(0x01890a5d_ac96_774b_bcce_b302099a8057);
pub(crate) const SPEC_SUFFIX: &str = "01h455vb4pex5vsknk084sn02q";
