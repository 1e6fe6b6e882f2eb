//! A handler cannot make HTTP calls around Outbound: no hyper client in a handler crate's graph.

use effects::Effects;

async fn handler<E: Effects>(_fx: &E) {
    let _client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
}

fn main() {}
