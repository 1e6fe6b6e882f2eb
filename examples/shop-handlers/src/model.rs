//! Resources, request bodies and how they are stored and cached.

use effects::{Record, cacheable};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::amount::Amount;
use crate::error::ShopError;
use crate::ids::{CustomerId, ProductId, PurchaseId};

/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// How many receipts one page of `GET /customers/{id}/purchases` holds.
pub const PAGE_SIZE: usize = 100;

/// A customer and their credit balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    /// `cus_...`.
    pub id: CustomerId,
    /// The name given at creation.
    pub name: String,
    /// Credits left to spend.
    pub credits: u64,
}
// The IDs' Deserialize parses prefixed text (`cus_1`), which the schema tracer cannot invent: the declarations
// give samples, so every field of every cached type is in its fingerprint (see `effects::fingerprint`).
cacheable!(
    Customer,
    "shop.Customer",
    version = 1,
    samples = [Customer { id: CustomerId::new(1), name: String::new(), credits: 0 }]
);
impl Record for Customer {
    const COLLECTION: &'static str = "customers";
}

/// A product for sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    /// `prd_...`.
    pub id: ProductId,
    /// The name given at creation.
    pub name: String,
    /// The price in credits.
    pub price: u64,
}
cacheable!(
    Product,
    "shop.Product",
    version = 1,
    samples = [Product { id: ProductId::new(1), name: String::new(), price: 0 }]
);
impl Record for Product {
    const COLLECTION: &'static str = "products";
}

/// The receipt of one purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    /// `pur_...`, time-ordered.
    pub id: PurchaseId,
    /// Who bought.
    pub customer_id: CustomerId,
    /// What they bought.
    pub product_id: ProductId,
    /// The price paid, in credits.
    pub price: u64,
    /// The customer's balance right after the purchase.
    pub balance_after: u64,
    /// When, in milliseconds since the Unix epoch.
    pub purchased_at: u64,
}
impl Record for Receipt {
    const COLLECTION: &'static str = "purchases";
}

/// One page of a customer's receipts, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PurchasePage {
    /// Up to 100 receipts.
    pub purchases: Vec<Receipt>,
    /// Pass as `?after=` for the next page; `null` on the last page.
    pub next_after: Option<PurchaseId>,
}
// A sample must fill every Option and collection, or the tracer refuses it.
cacheable!(
    PurchasePage,
    "shop.PurchasePage",
    version = 1,
    samples = [PurchasePage {
        purchases: vec![Receipt {
            id: PurchaseId::new(typed_ids::uuid::Uuid::from_u128(1)),
            customer_id: CustomerId::new(1),
            product_id: ProductId::new(1),
            price: 0,
            balance_after: 0,
            purchased_at: 0,
        }],
        next_after: Some(PurchaseId::new(typed_ids::uuid::Uuid::from_u128(2))),
    }]
);

/// The last number handed out for a kind of ID.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Counter {
    pub(crate) last: u64,
}
impl Record for Counter {
    const COLLECTION: &'static str = "counters";
}

/// `POST /customers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewCustomer {
    /// 1 to 200 characters, not only whitespace.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// The starting balance.
    #[schema(value_type = u64, minimum = 0, maximum = 9007199254740991_u64)]
    pub credits: Amount,
}

impl NewCustomer {
    /// A request for a customer `name` with `credits`.
    pub fn new(name: impl Into<String>, credits: u64) -> Self {
        Self { name: name.into(), credits: Amount::new(credits) }
    }
}

/// `POST /products`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NewProduct {
    /// 1 to 200 characters, not only whitespace.
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub name: String,
    /// The price in credits.
    #[schema(value_type = u64, minimum = 0, maximum = 9007199254740991_u64)]
    pub price: Amount,
}

impl NewProduct {
    /// A request for a product `name` at `price`.
    pub fn new(name: impl Into<String>, price: u64) -> Self {
        Self { name: name.into(), price: Amount::new(price) }
    }
}

/// `POST /customers/{id}/purchases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewPurchase {
    /// The product to buy, `prd_...`. Kept as text here so that a malformed or wrong-type ID answers
    /// `invalid_id`, as it does in a path.
    #[schema(value_type = ProductId)]
    pub product_id: String,
}

impl NewPurchase {
    /// A request to buy `product`.
    pub fn of(product: ProductId) -> Self {
        Self { product_id: product.to_string() }
    }
}

/// Checks a name from a request.
pub(crate) fn check_name(name: &str) -> Result<(), ShopError> {
    let chars = name.chars().count();
    if name.trim().is_empty() || chars > MAX_NAME_CHARS {
        return Err(ShopError::InvalidBody {
            message: format!("`name` must be 1 to {MAX_NAME_CHARS} characters and not only whitespace"),
        });
    }
    Ok(())
}
