//! The shop under simulation: the handlers behind a trait (so a planted bug can replace one), the scenarios, and
//! the invariants the README and the handler docs promise.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use effects::sandbox::Sandbox;
use effects::sandbox::sim::{
    Draw, FaultKind, FaultMenu, FaultPlan, RequestFuture, Scenario, Sometimes, TaskView, View, Violation, ensure,
};
use effects::{Clock, Effects, Timestamp};
use example_shop_handlers::handlers::{self, CUSTOMER_TTL};
use example_shop_handlers::{
    Customer, CustomerId, NewCustomer, NewProduct, NewPurchase, PAGE_SIZE, Product, ProductId, PurchasePage, Receipt,
    ShopError,
};

/// The handlers a scenario calls. The defaults are the shop's own; a planted bug overrides one.
pub(crate) trait Shop: 'static {
    /// `POST /customers/{id}/purchases`.
    fn purchase<E: Effects>(
        fx: &E,
        customer: CustomerId,
        req: NewPurchase,
    ) -> impl Future<Output = Result<Receipt, ShopError>> {
        handlers::purchase(fx, customer, req)
    }
    /// `GET /customers/{id}`.
    fn get_customer<E: Effects>(fx: &E, id: CustomerId) -> impl Future<Output = Result<Customer, ShopError>> {
        handlers::get_customer(fx, id)
    }
    /// `GET /customers/{id}/purchases` (the first page).
    fn list_purchases<E: Effects>(fx: &E, id: CustomerId) -> impl Future<Output = Result<PurchasePage, ShopError>> {
        handlers::list_purchases(fx, id, None)
    }
    /// `POST /products`.
    fn create_product<E: Effects>(fx: &E, req: NewProduct) -> impl Future<Output = Result<Product, ShopError>> {
        handlers::create_product(fx, req)
    }
    /// `GET /products/{id}`.
    fn get_product<E: Effects>(fx: &E, id: ProductId) -> impl Future<Output = Result<Product, ShopError>> {
        handlers::get_product(fx, id)
    }
}

/// The shop as shipped.
pub(crate) struct RealShop;
impl Shop for RealShop {}

/// Injected timeouts stay under this: the TTL counts from the cache write, which can come one timeout after the
/// value was loaded (another task's timeout moves the shared clock).
const MAX_TIMEOUT_MS: u32 = 250;

/// What a request returned, and when it was sent (after its arrival delay).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) sent: Timestamp,
    pub(crate) reply: Reply,
}

/// A handler's result.
#[derive(Debug)]
pub(crate) enum Reply {
    Purchased(Result<Receipt, ShopError>),
    Customer(Result<Customer, ShopError>),
    Page(Result<PurchasePage, ShopError>),
    Created(Result<Product, ShopError>),
    Product(Result<Product, ShopError>),
}

impl Reply {
    fn error(&self) -> Option<&ShopError> {
        match self {
            Reply::Purchased(Err(e))
            | Reply::Customer(Err(e))
            | Reply::Page(Err(e))
            | Reply::Created(Err(e))
            | Reply::Product(Err(e)) => Some(e),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Purchases racing on one customer, with reads.

/// A request of the purchase race.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Buy {
    /// Buys the product numbered `product` (1 costs 1 credit, 2 costs 2) after `after_ms`.
    Purchase { product: u64, after_ms: u64 },
    /// Reads the customer after `after_ms`.
    Read { after_ms: u64 },
    /// Lists the customer's receipts after `after_ms`.
    List { after_ms: u64 },
}

/// What the purchase race's setup made, and the balance history its checks record.
#[derive(Debug)]
pub(crate) struct Customers {
    pub(crate) customer: CustomerId,
    pub(crate) credits: u64,
    /// Every committed state, observed after each step.
    pub(crate) history: RefCell<Vec<Committed>>,
    /// The step (and time) each purchase task committed in.
    pub(crate) commits: RefCell<BTreeMap<u32, (u64, Timestamp)>>,
}

/// The customer's committed state from one step on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Committed {
    /// The first step it was seen after.
    step: u64,
    /// The clock then.
    at: Timestamp,
    /// The balance.
    credits: u64,
    /// How many receipts the customer had.
    receipts: usize,
}

/// Purchases racing on one customer, with reads of the customer between them; optionally faults.
pub(crate) struct PurchaseRace<H> {
    name: &'static str,
    menu: Option<FaultMenu>,
    shop: PhantomData<H>,
}

impl<H: Shop> PurchaseRace<H> {
    /// No faults: only the interleavings.
    pub(crate) fn racing() -> Self {
        Self { name: "purchase race", menu: None, shop: PhantomData }
    }

    /// The cache down or timing out mid-purchase (and mid-read).
    pub(crate) fn cache_failures() -> Self {
        let menu = FaultMenu::new([FaultKind::CacheDown, FaultKind::CacheTimeout(MAX_TIMEOUT_MS)])
            .max_faults(3)
            .within_calls(6);
        Self { name: "purchase race, cache failing", menu: Some(menu), shop: PhantomData }
    }

    /// Every fault: the cache down or slow, the store unavailable or conflicting.
    pub(crate) fn with_faults() -> Self {
        let menu = FaultMenu::new([
            FaultKind::CacheDown,
            FaultKind::CacheTimeout(MAX_TIMEOUT_MS),
            FaultKind::StoreUnavailable,
            FaultKind::StoreConflict,
            FaultKind::StoreConflict,
        ])
        .max_faults(3)
        .within_calls(6);
        Self { name: "purchase race, faults", menu: Some(menu), shop: PhantomData }
    }
}

fn balance(fx: &Sandbox, customer: CustomerId) -> u64 {
    fx.store().peek::<Customer>(&customer.get().to_string()).ok().flatten().map_or(0, |c| c.credits)
}

fn receipts(fx: &Sandbox, customer: CustomerId) -> Vec<Receipt> {
    let prefix = format!("{}/", customer.get());
    fx.store()
        .peek_prefix::<Receipt>(&prefix)
        .map(|rows| rows.into_iter().map(|(_, r)| r).collect())
        .unwrap_or_default()
}

/// Whether a reader sent at time `sent` and answered in step `answered` may see a state that `matches`: one
/// committed by the time it answered (steps order what the clock does not) and current at some point within the
/// TTL (plus the longest injected timeout) before it was sent.
fn fresh(history: &[Committed], sent: Timestamp, answered: u64, matches: impl Fn(&Committed) -> bool) -> bool {
    let slack = Duration::from_secs(u64::from(CUSTOMER_TTL)) + Duration::from_millis(u64::from(MAX_TIMEOUT_MS));
    let window_start = Timestamp::from_unix_millis(sent.unix_millis().saturating_sub(slack.as_millis() as u64));
    history.iter().enumerate().any(|(i, state)| {
        let superseded = history.get(i + 1).map(|next| next.at);
        matches(state) && state.step <= answered && superseded.is_none_or(|at| at >= window_start)
    })
}

impl<H: Shop> Scenario for PurchaseRace<H> {
    type State = Customers;
    type Request = Buy;
    type Outcome = Answer;

    fn name(&self) -> &str {
        self.name
    }

    fn setup(&self, fx: &Sandbox) -> Customers {
        // Few credits, so that two purchases of the 2-credit gem can already overdraw.
        let credits = 3;
        let customer = fx.run(handlers::create_customer(fx, NewCustomer::new("alice", credits))).expect("setup");
        for price in [1, 2] {
            fx.run(handlers::create_product(fx, NewProduct::new("gem", price))).expect("setup");
        }
        let start = fx.clock().now();
        let first = Committed { step: 0, at: start, credits, receipts: 0 };
        Customers { customer: customer.id, credits, history: RefCell::new(vec![first]), commits: RefCell::default() }
    }

    fn requests(&self, draw: &mut Draw, _: &Customers) -> Vec<Buy> {
        let n = draw.between(2, 8);
        (0..n)
            .map(|_| {
                // Most requests arrive together; some a little later; some after the cache TTL.
                let after_ms = match draw.below(10) {
                    0..=5 => 0,
                    6 | 7 => draw.between(1, 3_000),
                    _ => draw.between(61_000, 65_000),
                };
                match draw.below(20) {
                    0..=12 => Buy::Purchase { product: draw.between(1, 2), after_ms },
                    13..=17 => Buy::Read { after_ms },
                    _ => Buy::List { after_ms },
                }
            })
            .collect()
    }

    fn faults(&self, draw: &mut Draw, requests: &[Buy]) -> FaultPlan {
        self.menu.as_ref().map_or_else(FaultPlan::none, |menu| FaultPlan::draw(draw, menu, requests.len()))
    }

    fn run(&self, fx: &Sandbox, state: &Customers, request: &Buy) -> RequestFuture<Answer> {
        let (fx, customer, request) = (fx.clone(), state.customer, *request);
        Box::pin(async move {
            let after_ms = match request {
                Buy::Purchase { after_ms, .. } | Buy::Read { after_ms } | Buy::List { after_ms } => after_ms,
            };
            if after_ms > 0 {
                fx.clock().sleep(Duration::from_millis(after_ms)).await;
            }
            let sent = fx.clock().now();
            let reply = match request {
                Buy::Purchase { product, .. } => {
                    Reply::Purchased(H::purchase(&fx, customer, NewPurchase::of(ProductId::new(product))).await)
                }
                Buy::Read { .. } => Reply::Customer(H::get_customer(&fx, customer).await),
                Buy::List { .. } => Reply::Page(H::list_purchases(&fx, customer).await),
            };
            Answer { sent, reply }
        })
    }

    fn always(&self, view: &View<'_, Self>) -> Result<(), Violation> {
        let state = view.state;
        let now_balance = balance(view.fx, state.customer);
        let stored = receipts(view.fx, state.customer);
        {
            let mut history = state.history.borrow_mut();
            let now =
                Committed { step: view.steps, at: view.fx.clock().now(), credits: now_balance, receipts: stored.len() };
            if history.last().is_none_or(|last| (last.credits, last.receipts) != (now.credits, now.receipts)) {
                history.push(now);
            }
        }
        if let Some((id, lines)) = view.step
            && lines.lines().any(|l| l.contains("store.commit") && !l.contains("-> fault"))
            && view.task(id).is_some_and(|t| matches!(t.request, Buy::Purchase { .. }))
        {
            state.commits.borrow_mut().insert(id, (view.steps, view.fx.clock().now()));
        }
        let spent: u64 = stored.iter().map(|r| r.price).sum();
        ensure(spent <= state.credits, "no overdraft", || {
            format!("receipts total {spent} credits; the customer had {}", state.credits)
        })?;
        ensure(now_balance + spent == state.credits, "credits are conserved", || {
            format!("balance {now_balance} + receipts {spent} != {} credits at the start", state.credits)
        })
    }

    fn at_end(&self, view: &View<'_, Self>) -> Result<(), Violation> {
        let state = view.state;
        let stored = receipts(view.fx, state.customer);
        let answers: Vec<&Answer> = view.tasks.iter().filter_map(|t| t.outcome.as_ref()).collect();
        let sold: Vec<&Receipt> = answers
            .iter()
            .filter_map(|a| if let Reply::Purchased(Ok(r)) = &a.reply { Some(r) } else { None })
            .collect();
        ensure(sold.len() == stored.len() && sold.iter().all(|r| stored.contains(r)), "one receipt per sale", || {
            format!("{} purchases answered with a receipt; {} receipts stored", sold.len(), stored.len())
        })?;
        let final_balance = balance(view.fx, state.customer);
        for answer in &answers {
            if let Reply::Purchased(Err(ShopError::InsufficientCredits { price, .. })) = &answer.reply {
                ensure(final_balance < *price, "refusals are real", || {
                    format!("refused a {price}-credit purchase, yet the balance is still {final_balance}")
                })?;
            }
            ensure(!matches!(answer.reply.error(), Some(ShopError::Internal)), "no internal errors", || {
                format!("{:?}", answer.reply)
            })?;
        }
        let history = state.history.borrow();
        for task in view.tasks {
            let (Some(Answer { sent, reply }), Some(answered)) = (&task.outcome, task.finished_step) else { continue };
            match reply {
                Reply::Customer(Ok(c)) => {
                    ensure(
                        fresh(&history, *sent, answered, |s| s.credits == c.credits),
                        "reads are fresh within the TTL",
                        || {
                            format!(
                                "read sent at {sent} answered in step {answered} saw {} credits; committed: {history:?}",
                                c.credits
                            )
                        },
                    )?;
                }
                Reply::Page(Ok(page)) => {
                    ensure(page.purchases.iter().all(|r| stored.contains(r)), "listed receipts are stored", || {
                        format!("listed {:?}; stored {stored:?}", page.purchases)
                    })?;
                    let listed = page.purchases.len();
                    ensure(
                        fresh(&history, *sent, answered, |s| s.receipts == listed),
                        "listings are fresh within the TTL",
                        || {
                            format!(
                                "listing sent at {sent} answered in step {answered} had {listed} receipts; committed: {history:?}"
                            )
                        },
                    )?;
                }
                _ => {}
            }
        }
        read_your_purchases(view)
    }

    fn sometimes(&self) -> Vec<Sometimes<Self>> {
        let mut paths = vec![
            Sometimes {
                name: "two purchases in flight at once",
                reached: |v| {
                    v.in_flight().filter(|t| matches!(t.request, Buy::Purchase { after_ms: 0, .. })).count() >= 2
                },
            },
            Sometimes {
                name: "a purchase refused for lack of credits",
                reached: |v| {
                    v.tasks.iter().any(|t| {
                        matches!(
                            &t.outcome,
                            Some(Answer { reply: Reply::Purchased(Err(ShopError::InsufficientCredits { .. })), .. })
                        )
                    })
                },
            },
            Sometimes {
                name: "a read missed the cache while a purchase was in flight",
                reached: |v| {
                    let Some((id, lines)) = v.step else { return false };
                    let reading = v.task(id).is_some_and(|t| matches!(t.request, Buy::Read { .. } | Buy::List { .. }));
                    reading
                        && lines.contains("store.get customers/")
                        && v.in_flight().any(|t| matches!(t.request, Buy::Purchase { .. }) && t.id != id)
                },
            },
        ];
        if self.menu.is_some() {
            paths.push(Sometimes {
                name: "a fault hit a purchase",
                reached: |v| {
                    v.tasks.iter().any(|t| matches!(t.request, Buy::Purchase { .. }) && t.trace.contains("-> fault"))
                },
            });
        }
        paths
    }
}

/// Whether a request was sent after `task` returned: later on the clock, or (sent at once) in a later step.
fn sent_after(request: &TaskView<PurchaseRace<impl Shop>>, task: &TaskView<PurchaseRace<impl Shop>>) -> bool {
    let (Some(done_step), Some(done_at)) = (task.finished_step, task.finished) else { return false };
    let Some(Answer { sent, .. }) = &request.outcome else { return false };
    let immediate = matches!(request.request, Buy::Read { after_ms: 0 } | Buy::List { after_ms: 0 });
    *sent > done_at || (immediate && request.started_step.is_some_and(|s| s > done_step))
}

/// A read sent after a purchase returned sees it, unless another read of the same entry was in flight when the
/// purchase committed (it may re-cache the old value after the invalidation: the race the TTL bounds) or the
/// purchase's own invalidation failed. This is what deleting the cache entries after the commit buys.
fn read_your_purchases<H: Shop>(view: &View<'_, PurchaseRace<H>>) -> Result<(), Violation> {
    let commits = view.state.commits.borrow();
    for purchase in view.tasks {
        let Some(Answer { reply: Reply::Purchased(Ok(receipt)), .. }) = &purchase.outcome else { continue };
        let Some(&(commit_step, commit_at)) = commits.get(&purchase.id) else { continue };
        if purchase
            .trace
            .lines()
            .any(|l| l.contains("cache.delete") && (l.contains("-> fault") || l.contains("-> err")))
        {
            continue;
        }
        // Another read of the same entry that may have loaded before the commit and stored after the delete.
        let racing = |list: bool| {
            view.tasks.iter().any(|t| {
                let handler_started = match t.request {
                    Buy::Read { after_ms: 0 } | Buy::List { after_ms: 0 } => {
                        t.started_step.is_some_and(|s| s <= commit_step)
                    }
                    Buy::Read { .. } | Buy::List { .. } => t.outcome.as_ref().is_none_or(|a| a.sent <= commit_at),
                    Buy::Purchase { .. } => false,
                };
                matches!(t.request, Buy::List { .. }) == list
                    && handler_started
                    && t.finished_step.is_none_or(|f| f >= commit_step)
            })
        };
        for read in view.tasks.iter().filter(|t| sent_after(t, purchase)) {
            match &read.outcome {
                Some(Answer { reply: Reply::Customer(Ok(c)), .. }) if !racing(false) => {
                    ensure(c.credits <= receipt.balance_after, "a read after a purchase returned sees it", || {
                        format!(
                            "task {} read {} credits after task {} left {}",
                            read.id, c.credits, purchase.id, receipt.balance_after
                        )
                    })?;
                }
                Some(Answer { reply: Reply::Page(Ok(page)), .. }) if !racing(true) => {
                    ensure(
                        page.purchases.contains(receipt) || page.purchases.len() == PAGE_SIZE,
                        "a read after a purchase returned sees it",
                        || {
                            format!(
                                "task {} listed {} receipts without task {}'s",
                                read.id,
                                page.purchases.len(),
                                purchase.id
                            )
                        },
                    )?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Product creation racing reads.

/// A request of the product race.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Catalog {
    /// Creates a product at `price`.
    Create { price: u64 },
    /// Reads the product numbered `id` (it may not exist yet).
    Read { id: u64 },
}

/// Products created while others read them; the store and cache may fail.
pub(crate) struct ProductRace<H> {
    shop: PhantomData<H>,
}

impl<H: Shop> ProductRace<H> {
    /// The scenario.
    pub(crate) fn new() -> Self {
        Self { shop: PhantomData }
    }
}

impl<H: Shop> Scenario for ProductRace<H> {
    type State = ();
    type Request = Catalog;
    type Outcome = Answer;

    fn name(&self) -> &str {
        "product creation racing reads"
    }

    fn setup(&self, _fx: &Sandbox) {}

    fn requests(&self, draw: &mut Draw, _: &()) -> Vec<Catalog> {
        (0..draw.between(2, 7))
            .map(|_| {
                if draw.percent(50) {
                    Catalog::Create { price: draw.between(1, 9) }
                } else {
                    Catalog::Read { id: draw.between(1, 3) }
                }
            })
            .collect()
    }

    fn faults(&self, draw: &mut Draw, requests: &[Catalog]) -> FaultPlan {
        let menu = FaultMenu::new([FaultKind::StoreConflict, FaultKind::StoreUnavailable, FaultKind::CacheDown])
            .max_faults(2)
            .within_calls(6);
        FaultPlan::draw(draw, &menu, requests.len())
    }

    fn run(&self, fx: &Sandbox, _: &(), request: &Catalog) -> RequestFuture<Answer> {
        let (fx, request) = (fx.clone(), *request);
        Box::pin(async move {
            let sent = fx.clock().now();
            let reply = match request {
                Catalog::Create { price } => {
                    Reply::Created(H::create_product(&fx, NewProduct::new(format!("item for {price}"), price)).await)
                }
                Catalog::Read { id } => Reply::Product(H::get_product(&fx, ProductId::new(id)).await),
            };
            Answer { sent, reply }
        })
    }

    fn at_end(&self, view: &View<'_, Self>) -> Result<(), Violation> {
        let mut ids = BTreeSet::new();
        for task in view.tasks {
            let Some(answer) = &task.outcome else { continue };
            ensure(!matches!(answer.reply.error(), Some(ShopError::Internal)), "no internal errors", || {
                format!("{:?} answered {:?}", task.request, answer.reply)
            })?;
            match &answer.reply {
                Reply::Created(Ok(p)) => {
                    ensure(ids.insert(p.id), "every product gets its own id", || format!("{} handed out twice", p.id))?;
                    let stored = view.fx.store().peek::<Product>(&p.id.get().to_string()).ok().flatten();
                    ensure(stored.as_ref() == Some(p), "a created product is stored", || {
                        format!("created {p:?}, stored {stored:?}")
                    })?;
                }
                Reply::Product(Ok(p)) => {
                    let stored = view.fx.store().peek::<Product>(&p.id.get().to_string()).ok().flatten();
                    ensure(stored.as_ref() == Some(p), "a product read is the stored one", || {
                        format!("read {p:?}, stored {stored:?}")
                    })?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn sometimes(&self) -> Vec<Sometimes<Self>> {
        vec![
            Sometimes {
                name: "two creations in flight at once",
                reached: |v| v.in_flight().filter(|t| matches!(t.request, Catalog::Create { .. })).count() >= 2,
            },
            Sometimes {
                name: "a read of a product created in the same run",
                reached: |v| {
                    v.tasks.iter().any(|t| matches!(&t.outcome, Some(Answer { reply: Reply::Product(Ok(_)), .. })))
                },
            },
        ]
    }
}
