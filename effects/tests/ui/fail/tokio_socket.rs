//! A handler cannot open a socket: tokio is not in a handler crate's graph.

use effects::Effects;

async fn handler<E: Effects>(_fx: &E) {
    let _stream = tokio::net::TcpStream::connect("127.0.0.1:80").await;
}

fn main() {}
