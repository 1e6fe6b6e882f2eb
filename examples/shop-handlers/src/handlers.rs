//! One function per endpoint, generic over the effects bundle.
//!
//! Caching: reads go through [`Cache::get_or_compute`] (read-through, stampede-protected on memcached) with
//! versioned values, so a value that another schema version wrote is a miss, and an unavailable cache only costs
//! a store read. Products never change, so they are cached for an hour and warmed on creation. A purchase changes
//! the customer and their receipts: it deletes those entries after its commit, and they are cached for a minute
//! only, which bounds how stale a reader racing the purchase (or a failed delete) can leave them.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use effects::{Cache, Cacheable, Clock, Effects, Events, Level, Store, Transaction};

use crate::error::ShopError;
use crate::ids::{CustomerId, ProductId, PurchaseId};
use crate::model::{
    Counter, Customer, NewCustomer, NewProduct, NewPurchase, PAGE_SIZE, Product, PurchasePage, Receipt, check_name,
};

/// Seconds a product stays cached: products never change.
pub const PRODUCT_TTL: u32 = 3600;
/// Seconds a customer or a page of receipts stays cached: the bound on staleness when an invalidation is lost.
pub const CUSTOMER_TTL: u32 = 60;
/// Attempts a write transaction gets when it loses races with concurrent ones
/// ([`StoreError::Conflict`](effects::StoreError::Conflict): SQLite busy, PostgreSQL serialization failure):
/// the first and two retries, each reading everything afresh. Then the request fails with `store_busy` (503).
pub const TX_ATTEMPTS: u32 = 3;

fn customer_key(id: CustomerId) -> String {
    id.get().to_string()
}

fn product_key(id: ProductId) -> String {
    id.get().to_string()
}

/// Receipts are keyed `<customer>/<purchase id>`: a customer's receipts are one prefix, in time order.
fn receipts_prefix(customer: CustomerId) -> String {
    format!("{}/", customer.get())
}

fn page_cache_key(customer: CustomerId) -> String {
    format!("purchases:{}", customer.get())
}

/// Reads `key` through the cache, counting hits and misses in `shop_cache_reads_total{entity,result}`.
/// (Rejected values, such as another schema version's, are counted by the cache itself in
/// `cache_typed_rejected_total`, or `memcache_typed_rejected_total` on memcached, and read as misses.)
async fn read_through<E, T, F, Fut>(fx: &E, entity: &'static str, key: &str, ttl: u32, load: F) -> Result<T, ShopError>
where
    E: Effects,
    T: Cacheable,
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = Result<T, ShopError>> + Send,
{
    // `default()`, not the const `new`: the handler clippy list bans `new` because it is what a `static` calls.
    let missed = AtomicBool::default();
    let result = fx
        .cache()
        .get_or_compute(key, ttl, || {
            missed.store(true, Ordering::Relaxed);
            load()
        })
        .await;
    let outcome = if missed.into_inner() { "miss" } else { "hit" };
    fx.events().counter("shop_cache_reads_total", vec![("entity", entity.into()), ("result", outcome.into())], 1);
    result
}

/// Runs the transaction `attempt` until it commits, fails for another reason, or has lost [`TX_ATTEMPTS`] races.
/// Each attempt starts from `begin` and reads everything again: nothing read in a failed attempt is reused.
async fn with_retries<E, T, F, Fut>(fx: &E, op: &'static str, mut attempt: F) -> Result<T, ShopError>
where
    E: Effects,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ShopError>>,
{
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(ShopError::StoreBusy) if tries < TX_ATTEMPTS => {
                tries += 1;
                fx.events().counter("shop_tx_retries_total", vec![("op", op.into())], 1);
            }
            result => return result,
        }
    }
}

/// Hands out the next number for `kind` inside `tx`.
async fn next_number<T: Transaction>(tx: &mut T, kind: &str) -> Result<u64, ShopError> {
    let last = tx.get::<Counter>(kind).await?.map_or(0, |c| c.last);
    let next = last.checked_add(1).ok_or(ShopError::Internal)?;
    tx.upsert(kind, &Counter { last: next }).await?;
    Ok(next)
}

/// `POST /customers`: a new customer with a starting balance.
///
/// # Errors
/// `invalid_body` (name), `invalid_amount` (credits), `store_unavailable`, `store_busy`.
pub async fn create_customer<E: Effects>(fx: &E, req: NewCustomer) -> Result<Customer, ShopError> {
    check_name(&req.name)?;
    let credits = req.credits.get("credits")?;
    let name = req.name.as_str();
    let customer = with_retries(fx, "create_customer", || async move {
        let mut tx = fx.store().begin().await?;
        let id = CustomerId::new(next_number(&mut tx, Customer::COLLECTION_COUNTER).await?);
        let customer = Customer { id, name: name.to_owned(), credits };
        tx.insert(&customer_key(id), &customer).await?;
        tx.commit().await?;
        Ok(customer)
    })
    .await?;
    // Not warmed: a purchase could land between the commit and a cache write and leave a stale balance.
    fx.events().counter("shop_customers_created_total", vec![], 1);
    Ok(customer)
}

/// `GET /customers/{id}`.
///
/// # Errors
/// `customer_not_found`, `store_unavailable`.
pub async fn get_customer<E: Effects>(fx: &E, id: CustomerId) -> Result<Customer, ShopError> {
    read_through(fx, "customer", id.cache_key().as_str(), CUSTOMER_TTL, || async move {
        fx.store().get::<Customer>(&customer_key(id)).await?.ok_or(ShopError::CustomerNotFound(id))
    })
    .await
}

/// `POST /products`: a new product; it is cached at once, since products never change.
///
/// # Errors
/// `invalid_body` (name), `invalid_amount` (price), `store_unavailable`, `store_busy`.
pub async fn create_product<E: Effects>(fx: &E, req: NewProduct) -> Result<Product, ShopError> {
    check_name(&req.name)?;
    let price = req.price.get("price")?;
    let name = req.name.as_str();
    let product = with_retries(fx, "create_product", || async move {
        let mut tx = fx.store().begin().await?;
        let id = ProductId::new(next_number(&mut tx, Product::COLLECTION_COUNTER).await?);
        let product = Product { id, name: name.to_owned(), price };
        tx.insert(&product_key(id), &product).await?;
        tx.commit().await?;
        Ok(product)
    })
    .await?;
    let id = product.id;
    if let Err(e) = fx.cache().set(id.cache_key().as_str(), &product, PRODUCT_TTL).await {
        fx.events().log(Level::Warn, "product not cached", vec![("id", id.to_string()), ("error", e.kind().into())]);
    }
    Ok(product)
}

/// `GET /products/{id}`.
///
/// # Errors
/// `product_not_found`, `store_unavailable`.
pub async fn get_product<E: Effects>(fx: &E, id: ProductId) -> Result<Product, ShopError> {
    read_through(fx, "product", id.cache_key().as_str(), PRODUCT_TTL, || async move {
        fx.store().get::<Product>(&product_key(id)).await?.ok_or(ShopError::ProductNotFound(id))
    })
    .await
}

/// `POST /customers/{id}/purchases`: debits the price and writes a receipt, in one transaction.
///
/// # Errors
/// `invalid_id` (`product_id`), `customer_not_found`, `product_not_found`, `insufficient_credits`,
/// `store_unavailable`, `store_busy` (after [`TX_ATTEMPTS`] lost races). Nothing is written on any error.
pub async fn purchase<E: Effects>(fx: &E, customer_id: CustomerId, req: NewPurchase) -> Result<Receipt, ShopError> {
    let product_id: ProductId = req.product_id.parse()?;
    let result = with_retries(fx, "purchase", || debit(fx, customer_id, product_id)).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    };
    fx.events().counter("shop_purchases_total", vec![("outcome", outcome.into())], 1);
    let receipt = result?;
    // After the commit, so that a reader cannot re-cache the old balance from before it (see the module docs).
    for key in [customer_id.cache_key().as_str(), page_cache_key(customer_id).as_str()] {
        if let Err(e) = fx.cache().delete(key).await {
            fx.events().log(
                Level::Warn,
                "cache invalidation failed",
                vec![("key", key.into()), ("error", e.kind().into())],
            );
        }
    }
    Ok(receipt)
}

async fn debit<E: Effects>(fx: &E, customer_id: CustomerId, product_id: ProductId) -> Result<Receipt, ShopError> {
    // The transaction holds the store's write lock from `begin` to `commit`: concurrent purchases run one after
    // another, so the balance read here is the balance debited. Returning early drops it: a rollback.
    let mut tx = fx.store().begin().await?;
    let mut customer =
        tx.get::<Customer>(&customer_key(customer_id)).await?.ok_or(ShopError::CustomerNotFound(customer_id))?;
    let product = tx.get::<Product>(&product_key(product_id)).await?.ok_or(ShopError::ProductNotFound(product_id))?;
    let balance = customer.credits.checked_sub(product.price).ok_or(ShopError::InsufficientCredits {
        customer: customer_id,
        balance: customer.credits,
        price: product.price,
    })?;
    customer.credits = balance;
    tx.update(&customer_key(customer_id), &customer).await?;
    let id: PurchaseId = fx.new_id();
    let receipt = Receipt {
        id,
        customer_id,
        product_id,
        price: product.price,
        balance_after: balance,
        purchased_at: fx.clock().now().unix_millis(),
    };
    tx.insert(&format!("{}{id}", receipts_prefix(customer_id)), &receipt).await?;
    tx.commit().await?;
    Ok(receipt)
}

/// `GET /customers/{id}/purchases[?after=pur_...]`: one page of receipts, oldest first. The first page is cached.
///
/// # Errors
/// `customer_not_found`, `store_unavailable`.
pub async fn list_purchases<E: Effects>(
    fx: &E,
    customer_id: CustomerId,
    after: Option<PurchaseId>,
) -> Result<PurchasePage, ShopError> {
    let load = || async move {
        let mut tx = fx.store().begin().await?;
        if tx.get::<Customer>(&customer_key(customer_id)).await?.is_none() {
            return Err(ShopError::CustomerNotFound(customer_id));
        }
        let prefix = receipts_prefix(customer_id);
        let after = after.map(|a| format!("{prefix}{a}"));
        let mut rows = tx.scan::<Receipt>(&prefix, after.as_deref(), PAGE_SIZE + 1).await?;
        tx.commit().await?;
        let more = rows.len() > PAGE_SIZE;
        rows.truncate(PAGE_SIZE);
        let purchases: Vec<Receipt> = rows.into_iter().map(|(_, r)| r).collect();
        let next_after = if more { purchases.last().map(|r| r.id) } else { None };
        Ok(PurchasePage { purchases, next_after })
    };
    match after {
        None => read_through(fx, "purchases", &page_cache_key(customer_id), CUSTOMER_TTL, load).await,
        Some(_) => load().await,
    }
}

/// The counter record that numbers a collection's IDs.
trait Numbered {
    const COLLECTION_COUNTER: &'static str;
}

impl Numbered for Customer {
    const COLLECTION_COUNTER: &'static str = "customers";
}

impl Numbered for Product {
    const COLLECTION_COUNTER: &'static str = "products";
}
