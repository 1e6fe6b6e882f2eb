//! A handler cannot query a database directly: sqlx is not in a handler crate's graph.

use effects::Effects;

async fn handler<E: Effects>(_fx: &E) {
    let _query = sqlx::query("DELETE FROM orders");
}

fn main() {}
