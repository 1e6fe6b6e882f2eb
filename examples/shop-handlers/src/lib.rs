//! The shop's domain and its handlers, generic over [`effects::Effects`]: a virtual-goods shop with customers
//! holding credits, products with prices, and purchases.
//!
//! This crate is the part of a service a team writes: it has no IO dependency (see its `Cargo.toml` and
//! `clippy.toml`), so the handlers can only use the capabilities [`Effects`](effects::Effects) offers, and the
//! same code runs on `effects_real::World` in production and on [`effects::sandbox::Sandbox`] in tests. The HTTP
//! mapping (routes, extractors, status codes) lives in the `example-shop` binary.
//!
//! - IDs ([`CustomerId`] `cus_1`, [`ProductId`] `prd_1`, [`PurchaseId`] `pur_...`) are typed: a product ID is not
//!   a customer ID, even as text.
//! - Errors ([`ShopError`]) carry a stable machine-readable [`code`](ShopError::code) and an HTTP status.
//! - Reads are read-through cached with versioned values ([`effects::Cache::get_or_compute`]); a value another
//!   schema version wrote is a miss, and a cache that is down only costs a store read.
//! - A purchase runs in one store transaction: the balance check, the debit and the receipt commit together.
//!
//! ```
//! use effects::sandbox::Sandbox;
//! use example_shop_handlers::{NewCustomer, NewProduct, NewPurchase, handlers};
//!
//! let fx = Sandbox::new(1);
//! fx.run(async {
//!     let alice = handlers::create_customer(&fx, NewCustomer::new("alice", 5)).await.unwrap();
//!     let game = handlers::create_product(&fx, NewProduct::new("game", 4)).await.unwrap();
//!     let receipt = handlers::purchase(&fx, alice.id, NewPurchase::of(game.id)).await.unwrap();
//!     assert_eq!(receipt.balance_after, 1);
//!     let err = handlers::purchase(&fx, alice.id, NewPurchase::of(game.id)).await.unwrap_err();
//!     assert_eq!(err.code(), "insufficient_credits");
//! });
//! ```

mod amount;
mod body;
mod error;
pub mod handlers;
mod ids;
mod model;

pub use amount::{Amount, MAX_AMOUNT};
pub use body::decode_body;
pub use error::{ErrorBody, ErrorCode, ErrorDetail, ShopError};
pub use ids::{CustomerId, ProductId, PurchaseId};
pub use model::{
    Customer, MAX_NAME_CHARS, NewCustomer, NewProduct, NewPurchase, PAGE_SIZE, Product, PurchasePage, Receipt,
};
