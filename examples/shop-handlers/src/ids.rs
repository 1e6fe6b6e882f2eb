//! The shop's ID types. Their JSON form is the prefixed text (`"cus_1"`), as in URLs.

typed_ids::id! {
    /// A customer: `cus_1`, `cus_2`, ... (numbered by the store).
    pub CustomerId: u64, prefix = "cus", serde = prefixed;
    /// A product: `prd_1`, `prd_2`, ...
    pub ProductId: u64, prefix = "prd", serde = prefixed;
    /// A purchase and its receipt: a time-ordered UUID, `pur_01h455vb4pex5vsknk084sn02q`.
    pub PurchaseId: typed_ids::uuid::Uuid, prefix = "pur", serde = prefixed;
}
