//! Planted bugs: each a variant of one shop handler, written as handler code (generic over `Effects`), with the
//! shop's own handler as its fixed twin. Each is a bug seen in real services.

use effects::{Cache, Clock, Effects, Events, Level, Record, Store, Transaction};
use example_shop_handlers::handlers::{CUSTOMER_TTL, PRODUCT_TTL, TX_ATTEMPTS};
use example_shop_handlers::{
    Customer, CustomerId, NewProduct, NewPurchase, Product, ProductId, PurchaseId, Receipt, ShopError,
};
use serde::{Deserialize, Serialize};

use super::scenarios::Shop;

fn customer_key(id: CustomerId) -> String {
    id.get().to_string()
}

fn receipt_key(customer: CustomerId, id: PurchaseId) -> String {
    format!("{}/{id}", customer.get())
}

async fn invalidate<E: Effects>(fx: &E, customer: CustomerId) {
    for key in [customer.cache_key().to_string(), format!("purchases:{}", customer.get())] {
        if let Err(e) = fx.cache().delete(&key).await {
            fx.events().log(Level::Warn, "cache invalidation failed", vec![("error", e.kind().into())]);
        }
    }
}

fn receipt<E: Effects>(fx: &E, customer_id: CustomerId, product: &Product, balance_after: u64) -> Receipt {
    Receipt {
        id: fx.new_id(),
        customer_id,
        product_id: product.id,
        price: product.price,
        balance_after,
        purchased_at: fx.clock().now().unix_millis(),
    }
}

/// Bug 1, read-modify-write outside the transaction: the balance is read in one transaction and written in
/// another, so two purchases that both read 5 both write 4.
pub(crate) struct RmwOutsideTx;
impl Shop for RmwOutsideTx {
    async fn purchase<E: Effects>(fx: &E, customer_id: CustomerId, req: NewPurchase) -> Result<Receipt, ShopError> {
        let product_id: ProductId = req.product_id.parse()?;
        let mut customer = fx
            .store()
            .get::<Customer>(&customer_key(customer_id))
            .await?
            .ok_or(ShopError::CustomerNotFound(customer_id))?;
        let product = fx
            .store()
            .get::<Product>(&product_id.get().to_string())
            .await?
            .ok_or(ShopError::ProductNotFound(product_id))?;
        let balance = customer.credits.checked_sub(product.price).ok_or(ShopError::InsufficientCredits {
            customer: customer_id,
            balance: customer.credits,
            price: product.price,
        })?;
        customer.credits = balance;
        let receipt = receipt(fx, customer_id, &product, balance);
        let mut tx = fx.store().begin().await?;
        tx.update(&customer_key(customer_id), &customer).await?;
        tx.insert(&receipt_key(customer_id, receipt.id), &receipt).await?;
        tx.commit().await?;
        invalidate(fx, customer_id).await;
        Ok(receipt)
    }
}

/// Bug 2, check outside the transaction: the balance check reads a snapshot taken before the transaction; the
/// debit inside re-reads and clamps at zero, so concurrent purchases overdraw.
pub(crate) struct CheckOutsideTx;
impl Shop for CheckOutsideTx {
    async fn purchase<E: Effects>(fx: &E, customer_id: CustomerId, req: NewPurchase) -> Result<Receipt, ShopError> {
        let product_id: ProductId = req.product_id.parse()?;
        let snapshot = fx
            .store()
            .get::<Customer>(&customer_key(customer_id))
            .await?
            .ok_or(ShopError::CustomerNotFound(customer_id))?;
        let mut tx = fx.store().begin().await?;
        let product =
            tx.get::<Product>(&product_id.get().to_string()).await?.ok_or(ShopError::ProductNotFound(product_id))?;
        if snapshot.credits < product.price {
            return Err(ShopError::InsufficientCredits {
                customer: customer_id,
                balance: snapshot.credits,
                price: product.price,
            });
        }
        let mut customer =
            tx.get::<Customer>(&customer_key(customer_id)).await?.ok_or(ShopError::CustomerNotFound(customer_id))?;
        customer.credits = customer.credits.saturating_sub(product.price);
        tx.update(&customer_key(customer_id), &customer).await?;
        let receipt = receipt(fx, customer_id, &product, customer.credits);
        tx.insert(&receipt_key(customer_id, receipt.id), &receipt).await?;
        tx.commit().await?;
        invalidate(fx, customer_id).await;
        Ok(receipt)
    }
}

/// Bug 3, cache written before the commit: the purchase writes the new balance through to the cache, then
/// commits. A reader in between sees a balance that is not committed yet, and one that never will be if the
/// commit fails.
pub(crate) struct CacheBeforeCommit;
impl Shop for CacheBeforeCommit {
    async fn purchase<E: Effects>(fx: &E, customer_id: CustomerId, req: NewPurchase) -> Result<Receipt, ShopError> {
        let product_id: ProductId = req.product_id.parse()?;
        let mut tx = fx.store().begin().await?;
        let mut customer =
            tx.get::<Customer>(&customer_key(customer_id)).await?.ok_or(ShopError::CustomerNotFound(customer_id))?;
        let product =
            tx.get::<Product>(&product_id.get().to_string()).await?.ok_or(ShopError::ProductNotFound(product_id))?;
        let balance = customer.credits.checked_sub(product.price).ok_or(ShopError::InsufficientCredits {
            customer: customer_id,
            balance: customer.credits,
            price: product.price,
        })?;
        customer.credits = balance;
        tx.update(&customer_key(customer_id), &customer).await?;
        let receipt = receipt(fx, customer_id, &product, balance);
        tx.insert(&receipt_key(customer_id, receipt.id), &receipt).await?;
        let _ = fx.cache().set(customer_id.cache_key().as_str(), &customer, CUSTOMER_TTL).await;
        tx.commit().await?;
        // The receipts page is still invalidated after the commit, as the shop does.
        let _ = fx.cache().delete(&format!("purchases:{}", customer_id.get())).await;
        Ok(receipt)
    }
}

/// Bug 4, lost update on retry: the retry loop re-runs the transaction after a conflict but reuses the
/// customer read by the first attempt, writing back a balance another purchase has since changed.
pub(crate) struct RetryReusesRead;
impl Shop for RetryReusesRead {
    async fn purchase<E: Effects>(fx: &E, customer_id: CustomerId, req: NewPurchase) -> Result<Receipt, ShopError> {
        let product_id: ProductId = req.product_id.parse()?;
        let mut first_read: Option<Customer> = None;
        let mut attempt = 1;
        loop {
            let result = async {
                let mut tx = fx.store().begin().await?;
                let mut customer = match first_read.clone() {
                    Some(customer) => customer,
                    None => {
                        let read = tx
                            .get::<Customer>(&customer_key(customer_id))
                            .await?
                            .ok_or(ShopError::CustomerNotFound(customer_id))?;
                        first_read = Some(read.clone());
                        read
                    }
                };
                let product = tx
                    .get::<Product>(&product_id.get().to_string())
                    .await?
                    .ok_or(ShopError::ProductNotFound(product_id))?;
                let balance = customer.credits.checked_sub(product.price).ok_or(ShopError::InsufficientCredits {
                    customer: customer_id,
                    balance: customer.credits,
                    price: product.price,
                })?;
                customer.credits = balance;
                tx.update(&customer_key(customer_id), &customer).await?;
                let receipt = receipt(fx, customer_id, &product, balance);
                tx.insert(&receipt_key(customer_id, receipt.id), &receipt).await?;
                tx.commit().await?;
                Ok::<_, ShopError>(receipt)
            }
            .await;
            match result {
                Err(ShopError::StoreBusy) if attempt < TX_ATTEMPTS => attempt += 1,
                Ok(receipt) => {
                    invalidate(fx, customer_id).await;
                    return Ok(receipt);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The shop's ID counter record, as the handlers store it.
#[derive(Debug, Serialize, Deserialize)]
struct Counter {
    last: u64,
}
impl Record for Counter {
    const COLLECTION: &'static str = "counters";
}

/// Bug 5, ID counter read outside the transaction: two creations read the same last number and hand out the
/// same ID; the second insert fails as a duplicate (an internal error).
pub(crate) struct CounterOutsideTx;
impl Shop for CounterOutsideTx {
    async fn create_product<E: Effects>(fx: &E, req: NewProduct) -> Result<Product, ShopError> {
        let price = req.price.get("price")?;
        let last = fx.store().get::<Counter>("products").await?.map_or(0, |c| c.last);
        let id = ProductId::new(last + 1);
        let product = Product { id, name: req.name, price };
        let mut tx = fx.store().begin().await?;
        tx.upsert("products", &Counter { last: last + 1 }).await?;
        tx.insert(&id.get().to_string(), &product).await?;
        tx.commit().await?;
        let _ = fx.cache().set(id.cache_key().as_str(), &product, PRODUCT_TTL).await;
        Ok(product)
    }
}

/// Bug 6, a customer cached without expiry: the read caches forever and relies on the purchase's invalidation,
/// so a lost invalidation (the cache timing out, or a reader re-caching the old balance after the delete) leaves
/// the balance stale for good instead of for a minute.
pub(crate) struct CustomerCachedForever;
impl Shop for CustomerCachedForever {
    async fn get_customer<E: Effects>(fx: &E, id: CustomerId) -> Result<Customer, ShopError> {
        fx.cache()
            .get_or_compute(id.cache_key().as_str(), 0, || async move {
                fx.store().get::<Customer>(&customer_key(id)).await?.ok_or(ShopError::CustomerNotFound(id))
            })
            .await
    }
}

/// Bug 7, invalidation before the commit: the purchase deletes the cached customer first, then debits. A read in
/// between re-caches the old balance, and nothing deletes it after the commit: a read sent after the purchase
/// returned still sees the old balance, for a whole TTL.
pub(crate) struct InvalidateBeforeCommit;
impl Shop for InvalidateBeforeCommit {
    async fn purchase<E: Effects>(fx: &E, customer_id: CustomerId, req: NewPurchase) -> Result<Receipt, ShopError> {
        let product_id: ProductId = req.product_id.parse()?;
        invalidate(fx, customer_id).await;
        let mut tx = fx.store().begin().await?;
        let mut customer =
            tx.get::<Customer>(&customer_key(customer_id)).await?.ok_or(ShopError::CustomerNotFound(customer_id))?;
        let product =
            tx.get::<Product>(&product_id.get().to_string()).await?.ok_or(ShopError::ProductNotFound(product_id))?;
        let balance = customer.credits.checked_sub(product.price).ok_or(ShopError::InsufficientCredits {
            customer: customer_id,
            balance: customer.credits,
            price: product.price,
        })?;
        customer.credits = balance;
        tx.update(&customer_key(customer_id), &customer).await?;
        let receipt = receipt(fx, customer_id, &product, balance);
        tx.insert(&receipt_key(customer_id, receipt.id), &receipt).await?;
        tx.commit().await?;
        Ok(receipt)
    }
}
