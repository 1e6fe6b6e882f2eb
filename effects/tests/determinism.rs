//! The determinism proof: one scenario touching every capability, run 100 times with one seed, gives
//! byte-identical traces, and so does the same scenario in separate processes (this test binary started again:
//! std's `HashMap` hasher, ASLR and the like change between processes, not within one); another seed gives
//! another trace.

use std::process::Command;
use std::time::Duration;

use effects::collections::HashMap;
use effects::sandbox::{CacheFault, Sandbox, Schedule};
use effects::{
    Cache, Clock, Effects, Events, Method, Outbound, OutboundError, Random, Record, Request, Response, Store,
    StoreError, Transaction, cacheable,
};
use serde::{Deserialize, Serialize};

typed_ids::id! {
    /// An order.
    pub OrderId: typed_ids::uuid::Uuid, prefix = "ord";
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Product {
    sku: String,
    price: u64,
    stock: u32,
}
cacheable!(Product, "test.Product", version = 1);
impl Record for Product {
    const COLLECTION: &'static str = "products";
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Order {
    id: String,
    sku: String,
    total: u64,
    at: u64,
}
impl Record for Order {
    const COLLECTION: &'static str = "orders";
}

#[derive(Debug)]
#[expect(dead_code, reason = "the payloads are read through Debug, in the trace")]
enum CheckoutError {
    Store(StoreError),
    OutOfStock,
    Payment(OutboundError),
}

async fn product<E: Effects>(fx: &E, sku: &str) -> Result<Product, StoreError> {
    fx.cache()
        .get_or_compute(&format!("product:{sku}"), 60, || async {
            fx.store()
                .get::<Product>(sku)
                .await?
                .ok_or(StoreError::NotFound { collection: "products", key: sku.into() })
        })
        .await
}

/// Charges through the payment service, retrying a 503 after a jittered backoff.
async fn charge<E: Effects>(fx: &E, order: &Order) -> Result<(), OutboundError> {
    for attempt in 0..3u64 {
        let request = Request::post_json("http://payments/charge", order)?.timeout(Duration::from_secs(2));
        let response = fx.outbound().send(request).await?;
        if response.is_success() {
            return Ok(());
        }
        let backoff = Duration::from_millis(100 * (attempt + 1) + fx.random().below(50));
        fx.events().warn("payment retry", vec![("status", response.status.to_string())]);
        fx.clock().sleep(backoff).await;
    }
    Err(OutboundError::Io { url: "http://payments/charge".into(), message: "gave up".into() })
}

async fn checkout<E: Effects>(fx: &E, sku: &str) -> Result<Order, CheckoutError> {
    let product = product(fx, sku).await.map_err(CheckoutError::Store)?;
    let id: OrderId = fx.new_id();
    let order = Order { id: id.to_string(), sku: sku.into(), total: product.price, at: fx.clock().now().unix_millis() };
    charge(fx, &order).await.map_err(CheckoutError::Payment)?;
    let mut tx = fx.store().begin().await.map_err(CheckoutError::Store)?;
    let mut stock = tx.get::<Product>(sku).await.map_err(CheckoutError::Store)?.ok_or(CheckoutError::OutOfStock)?;
    if stock.stock == 0 {
        return Err(CheckoutError::OutOfStock);
    }
    stock.stock -= 1;
    tx.update(sku, &stock).await.map_err(CheckoutError::Store)?;
    tx.insert(&order.id, &order).await.map_err(CheckoutError::Store)?;
    tx.commit().await.map_err(CheckoutError::Store)?;
    let _ = fx.cache().delete(&format!("product:{sku}")).await;
    fx.events().counter("orders_total", vec![("sku", sku.into())], 1);
    Ok(order)
}

/// Sums sales per SKU in a hash map and reports them in the map's order: through `effects::collections`, whose
/// fixed hasher gives the same order in every process (std's `HashMap::new()` would not, and is banned).
async fn report_sales<E: Effects>(fx: &E, orders: &[Order]) {
    let mut sales: HashMap<&str, u64> = HashMap::default();
    for order in orders {
        *sales.entry(order.sku.as_str()).or_default() += order.total;
    }
    for (sku, total) in &sales {
        fx.events().counter("sales_total", vec![("sku", (*sku).to_owned())], *total);
    }
    let skus: Vec<&str> = sales.keys().copied().collect();
    fx.events().info("sales reported", vec![("skus", skus.join(","))]);
}

/// The scenario: seed data, a few checkouts with faults along the way; returns the full trace plus outcomes.
fn scenario(seed: u64) -> String {
    let fx = Sandbox::new(seed);
    fx.outbound().respond_once(Method::Post, "http://payments/charge", Ok(Response::new(503, "busy")));
    fx.outbound().respond(Method::Post, "http://payments/charge", Ok(Response::new(200, "ok")));
    let mut outcomes = String::new();
    fx.run(async {
        let lamp = Product { sku: "lamp".into(), price: 1999, stock: 2 };
        fx.store().upsert("lamp", &lamp).await.unwrap();
        for round in 0..4 {
            if round == 2 {
                fx.faults().cache(CacheFault::Timeout(Duration::from_millis(30)), Schedule::Next(1));
            }
            let result = checkout(&fx, "lamp").await;
            outcomes.push_str(&format!("round {round}: {result:?}\n"));
            fx.clock().sleep(Duration::from_secs(1)).await;
        }
        let orders: Vec<Order> = ["lamp", "desk", "chair", "shelf", "rug", "vase", "clock", "stool"]
            .iter()
            .zip(1..)
            .map(|(sku, n)| Order { id: format!("o{n}"), sku: (*sku).into(), total: n * 100, at: 0 })
            .collect();
        report_sales(&fx, &orders).await;
    });
    format!("{}--\n{outcomes}", fx.trace())
}

#[test]
fn same_seed_gives_byte_identical_traces_100_times() {
    let first = scenario(1);
    for run in 1..100 {
        let again = scenario(1);
        assert!(again == first, "run {run} with seed 1 diverged:\n{again}\n--- first ---\n{first}");
    }
    // The scenario did exercise what it claims to.
    for needle in ["random 10B", "outbound POST http://payments/charge", "-> 503", "fault timeout", "store.commit"] {
        assert!(first.contains(needle), "trace lacks {needle:?}:\n{first}");
    }
    assert!(first.contains("OutOfStock"), "the third checkout must run out of stock:\n{first}");
    assert_eq!(first.matches("sales_total").count(), 8, "every SKU's sales are reported:\n{first}");
}

/// Set in the child processes of the test below: they print the scenario's trace instead of checking it.
const CHILD: &str = "EFFECTS_DETERMINISM_CHILD_SEED";

/// The child's side of the test below (does nothing unless started by it).
#[test]
fn print_trace_for_parent_process() {
    if let Ok(seed) = std::env::var(CHILD) {
        print!("<<trace\n{}trace>>", scenario(seed.parse().expect("the seed is a number")));
    }
}

#[test]
fn same_seed_gives_byte_identical_traces_in_separate_processes() {
    let here = scenario(1);
    for process in 1..=3 {
        let output = Command::new(std::env::current_exe().expect("the test binary's path"))
            .args(["--exact", "print_trace_for_parent_process", "--nocapture", "--test-threads", "1"])
            .env(CHILD, "1")
            .output()
            .expect("the test binary starts again");
        assert!(output.status.success(), "child process {process} failed: {output:?}");
        let stdout = String::from_utf8(output.stdout).expect("the trace is UTF-8");
        let trace = stdout
            .split_once("<<trace\n")
            .and_then(|(_, rest)| rest.split_once("trace>>"))
            .map(|(trace, _)| trace)
            .unwrap_or_else(|| panic!("child process {process} printed no trace:\n{stdout}"));
        assert!(trace == here, "process {process} with seed 1 diverged:\n{trace}\n--- this process ---\n{here}");
    }
}

#[test]
fn another_seed_changes_the_trace() {
    let one = scenario(1);
    let two = scenario(2);
    assert_ne!(one, two);
    assert!(two.starts_with("t=1700000000000 sandbox seed=2\n"), "{two}");
}
