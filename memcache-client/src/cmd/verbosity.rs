//! `verbosity`: every server's logging level set. Text on both protocols: `verbosity <level>`, answered `OK`.

use bytes::BytesMut;

use super::{Framing, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::Protocol;
use crate::proto::{Request, Response};

/// Sets one server's logging verbosity to `level`.
#[derive(Clone, Copy)]
pub(crate) struct Verbosity {
    /// The log level.
    pub(crate) level: u32,
}

impl Op for Verbosity {
    type Output = ();

    fn name(&self) -> &'static str {
        "verbosity"
    }

    fn encode(&self, _protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        encode_request(&Request::Verbosity { level: self.level, noreply: false }, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<(), Response> {
        match response {
            Response::Ok => Ok(()),
            other => Err(other),
        }
    }
}

impl Client {
    /// Sets every server's logging verbosity.
    ///
    /// # Errors
    /// The first server's failure.
    pub async fn verbosity(&self, level: u32) -> Result<(), Error> {
        self.broadcast(Verbosity { level }).await.map(drop)
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
            let (bytes, framing) = encode(&Verbosity { level: 1 }, protocol);
            assert_eq!(bytes, b"verbosity 1\r\n");
            assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Ok, None, None));
        }
    }

    #[test]
    fn ok_is_done_and_anything_else_unexpected() {
        assert_eq!(Verbosity { level: 1 }.reply(Response::Ok), Ok(()));
        assert_eq!(Verbosity { level: 1 }.reply(Response::NotFound), Err(Response::NotFound));
    }
}
