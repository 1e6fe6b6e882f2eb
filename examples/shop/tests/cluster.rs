//! Many instances: two shop processes (the real binary) sharing one PostgreSQL cluster and one fleet of three
//! memcached servers, driven over HTTP/1.1, as a load balancer would spread clients over them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use example_shop_handlers::CustomerId;
use memkit_testkit::{Memcached, Postgres};
use serde_json::{Value, json};

/// One shop process, killed on drop.
struct Shop {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Shop {
    fn start(name: &str, database_url: &str, memcached_servers: &str) -> Self {
        // Unique per shop, not only per process: the tests of this file run in parallel in one process, and a
        // shared name let one test truncate (and its drop delete) another's log.
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let log =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cluster-{name}-{}-{n}.log", std::process::id()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_example-shop"))
            .args(["--listen", "127.0.0.1:0"])
            .env("MEMCACHED_SERVERS", memcached_servers)
            .env("DATABASE_URL", database_url)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start example-shop");
        // The first stdout line is the bound address, printed once it listens (EOF if it died instead).
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| {
            panic!("unexpected first line {line:?}; log: {}", std::fs::read_to_string(&log).unwrap_or_default())
        });
        Self { addr: addr.to_owned(), child, log }
    }

    fn json(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let body = if body.is_null() { String::new() } else { body.to_string() };
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end: {response}"));
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{head}"));
        (status, serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")))
    }

    fn credits(&self, customer: &str) -> Value {
        let (status, body) = self.json("GET", &format!("/customers/{customer}"), Value::Null);
        assert_eq!(status, 200, "{body}");
        body["credits"].clone()
    }

    fn buy(&self, customer: &str, product: &str) -> (u16, Value) {
        self.json("POST", &format!("/customers/{customer}/purchases"), json!({ "product_id": product }))
    }

    fn receipts(&self, customer: &str) -> Vec<Value> {
        let (status, page) = self.json("GET", &format!("/customers/{customer}/purchases"), Value::Null);
        assert_eq!(status, 200, "{page}");
        page["purchases"].as_array().unwrap().clone()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// PostgreSQL, three memcached and two shops on them all.
struct Cluster {
    // Field order is drop order: the shops stop before the servers they use.
    shops: [Shop; 2],
    memcached: Vec<Memcached>,
    _postgres: Postgres,
}

impl Cluster {
    fn start() -> Self {
        let postgres = Postgres::start();
        let memcached: Vec<Memcached> = (0..3).map(|_| Memcached::start()).collect();
        let servers = memcached.iter().map(Memcached::addr).collect::<Vec<_>>().join(",");
        let shops = [Shop::start("a", &postgres.url(), &servers), Shop::start("b", &postgres.url(), &servers)];
        for shop in &shops {
            assert!(shop.log().contains("store: PostgreSQL at 127.0.0.1:"), "{}", shop.log());
        }
        Self { shops, memcached, _postgres: postgres }
    }

    fn servers(&self) -> String {
        self.memcached.iter().map(Memcached::addr).collect::<Vec<_>>().join(",")
    }
}

#[test]
fn two_instances_sell_exactly_the_credits_and_see_each_others_purchases() {
    let cluster = Cluster::start();
    let [a, b] = &cluster.shops;
    let (status, gem) = a.json("POST", "/products", json!({"name": "gem", "price": 1}));
    assert_eq!((status, &gem["id"]), (201, &json!("prd_1")));
    let (status, alice) = b.json("POST", "/customers", json!({"name": "alice", "credits": 10}));
    assert_eq!((status, &alice["id"]), (201, &json!("cus_1")), "IDs are numbered in the shared database");

    // Both instances cache the balance in the shared fleet.
    assert_eq!((a.credits("cus_1"), b.credits("cus_1")), (json!(10), json!(10)));

    // 50 concurrent purchases spread over both instances, 10 credits: exactly 10 receipts.
    let replies: Vec<(u16, Value)> = std::thread::scope(|s| {
        let shops = &cluster.shops;
        let handles: Vec<_> = (0..50).map(|i| s.spawn(move || shops[i % 2].buy("cus_1", "prd_1"))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(replies.iter().filter(|(s, _)| *s == 201).count(), 10, "{replies:?}");
    let refused = replies.iter().filter(|(s, b)| *s == 402 && b["error"]["code"] == "insufficient_credits").count();
    assert_eq!(refused, 40, "{replies:?}");
    let mut balances: Vec<u64> =
        replies.iter().filter(|(s, _)| *s == 201).map(|(_, r)| r["balance_after"].as_u64().unwrap()).collect();
    balances.sort_unstable();
    assert_eq!(balances, (0..10).collect::<Vec<_>>(), "each purchase debited the balance the one before left");

    // The balances both instances had cached are gone: each reads the new one, and the same 10 receipts.
    assert_eq!((a.credits("cus_1"), b.credits("cus_1")), (json!(0), json!(0)));
    assert_eq!(a.receipts("cus_1"), b.receipts("cus_1"));
    assert_eq!(a.receipts("cus_1").len(), 10);

    // Cache invalidation across instances, one purchase at a time: the other instance caches the balance, a
    // purchase lands on this one, and the other reads the new balance at once (not its cached one).
    let (_, bob) = a.json("POST", "/customers", json!({"name": "bob", "credits": 5}));
    let bob = bob["id"].as_str().unwrap().to_owned();
    for n in 0..5_u64 {
        let (seller, reader) = if n % 2 == 0 { (a, b) } else { (b, a) };
        assert_eq!(reader.credits(&bob), json!(5 - n));
        assert_eq!(reader.receipts(&bob).len() as u64, n);
        let (status, receipt) = seller.buy(&bob, "prd_1");
        assert_eq!((status, &receipt["balance_after"]), (201, &json!(4 - n)));
        assert_eq!(reader.credits(&bob), json!(4 - n), "purchase {n}: the other instance served a stale balance");
        assert_eq!(reader.receipts(&bob).len() as u64, n + 1, "purchase {n}: stale receipts page");
    }
}

#[test]
fn a_memcached_killed_mid_run_loses_no_purchase_and_serves_no_stale_balance() {
    let mut cluster = Cluster::start();
    let (status, _) = cluster.shops[0].json("POST", "/products", json!({"name": "gem", "price": 1}));
    assert_eq!(status, 201);
    const CUSTOMERS: usize = 6;
    const ATTEMPTS: u64 = 14;
    for n in 0..CUSTOMERS {
        let (status, _) =
            cluster.shops[n % 2].json("POST", "/customers", json!({"name": format!("c{n}"), "credits": 10}));
        assert_eq!(status, 201);
    }
    // Kill the server that owns the first customer's cached balance (the same ring the shops use).
    let ring = memcache_client::Client::new(&cluster.servers()).unwrap();
    let owner = ring.server_for(CustomerId::new(1).cache_key().as_str().as_bytes()).to_string();
    let victim = cluster.memcached.iter().position(|m| m.addr() == owner).expect("the owner is one of the three");

    // One worker per customer, so no other client reads its balance while it buys: the only staleness the docs
    // allow (a reader racing a purchase re-caching the old balance, for at most the 60 s TTL) cannot happen, and
    // every read after a purchase must show that purchase. Each purchase goes to one instance, the read to the
    // other. Halfway through, one memcached is killed under them.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let shops = &cluster.shops;
        let workers: Vec<_> = (1..=CUSTOMERS as u64)
            .map(|id| {
                let done = done_tx.clone();
                s.spawn(move || {
                    let customer = format!("cus_{id}");
                    for n in 0..ATTEMPTS {
                        let (seller, reader) = if n % 2 == 0 { (&shops[0], &shops[1]) } else { (&shops[1], &shops[0]) };
                        let (status, reply) = seller.buy(&customer, "prd_1");
                        let expected = 10_u64.saturating_sub(n + 1);
                        if n < 10 {
                            assert_eq!((status, &reply["balance_after"]), (201, &json!(expected)), "{customer} #{n}");
                        } else {
                            assert_eq!((status, &reply["error"]["code"]), (402, &json!("insufficient_credits")));
                        }
                        assert_eq!(reader.credits(&customer), json!(expected), "{customer} #{n}: stale balance");
                        done.send(()).unwrap();
                    }
                })
            })
            .collect();
        drop(done_tx);
        let total = CUSTOMERS * ATTEMPTS as usize;
        for _ in 0..total / 2 {
            done_rx.recv().expect("a worker failed");
        }
        cluster.memcached[victim].kill();
        for worker in workers {
            worker.join().unwrap();
        }
    });

    // No purchase lost: every customer has exactly 10 receipts and no credits, seen through either instance.
    for id in 1..=CUSTOMERS {
        let customer = format!("cus_{id}");
        for shop in &cluster.shops {
            assert_eq!(shop.credits(&customer), json!(0), "{customer}");
            assert_eq!(shop.receipts(&customer).len(), 10, "{customer}");
        }
    }
}
