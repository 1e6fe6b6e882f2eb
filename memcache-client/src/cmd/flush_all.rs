//! `flush_all`: every item on every server invalidated. Text on both protocols: `flush_all [delay]`, answered `OK`.

use bytes::BytesMut;

use super::{Framing, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::Protocol;
use crate::proto::{Request, Response};

/// Invalidates every item of one server, now or after `delay` seconds.
#[derive(Clone, Copy)]
pub(crate) struct FlushAll {
    /// Seconds to wait before invalidating; `None` now.
    pub(crate) delay: Option<u32>,
}

impl Op for FlushAll {
    type Output = ();

    fn name(&self) -> &'static str {
        "flush_all"
    }

    fn encode(&self, _protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        encode_request(&Request::FlushAll { delay: self.delay, noreply: false }, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<(), Response> {
        match response {
            Response::Ok => Ok(()),
            other => Err(other),
        }
    }
}

impl Client {
    /// Invalidates every item on every server, now (`None`) or after `delay` seconds.
    ///
    /// # Errors
    /// The first server's failure.
    pub async fn flush_all(&self, delay: Option<u32>) -> Result<(), Error> {
        self.broadcast(FlushAll { delay }).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::{encode, tags};
    use crate::proto::ReplyKind;

    #[test]
    fn both_protocols_send_the_text_command() {
        for protocol in [Protocol::Meta, Protocol::Text] {
            let (bytes, framing) = encode(&FlushAll { delay: None }, protocol);
            assert_eq!(bytes, b"flush_all\r\n");
            assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Ok, None, None));
            assert_eq!(encode(&FlushAll { delay: Some(10) }, protocol).0, b"flush_all 10\r\n");
        }
    }

    #[test]
    fn ok_is_done_and_anything_else_unexpected() {
        assert_eq!(FlushAll { delay: None }.reply(Response::Ok), Ok(()));
        assert_eq!(FlushAll { delay: None }.reply(Response::Stored), Err(Response::Stored));
    }
}
