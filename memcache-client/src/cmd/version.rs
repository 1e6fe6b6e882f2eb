//! `version`: every server's version string. Text on both protocols: `version`, answered `VERSION <version>`.

use bytes::BytesMut;

use super::{Framing, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::{Protocol, ServerAddr};
use crate::proto::{Request, Response};

/// Asks one server for its version.
#[derive(Clone, Copy)]
pub(crate) struct Version;

impl Op for Version {
    type Output = String;

    fn name(&self) -> &'static str {
        "version"
    }

    fn encode(&self, _protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        encode_request(&Request::Version, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<String, Response> {
        match response {
            Response::Version(v) => Ok(String::from_utf8_lossy(&v).into_owned()),
            other => Err(other),
        }
    }
}

impl Client {
    /// Each server's version string, in server order.
    ///
    /// # Errors
    /// The first server's failure.
    pub async fn version(&self) -> Result<Vec<(ServerAddr, String)>, Error> {
        let versions = self.broadcast(Version).await?;
        Ok(versions.into_iter().map(|(server, version)| (server.addr.clone(), version)).collect())
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::cmd::testing::{encode, tags};
    use crate::proto::ReplyKind;

    #[test]
    fn both_protocols_send_the_text_command() {
        for protocol in [Protocol::Meta, Protocol::Text] {
            let (bytes, framing) = encode(&Version, protocol);
            assert_eq!(bytes, b"version\r\n");
            assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Version, None, None));
        }
    }

    #[test]
    fn the_version_string_or_unexpected() {
        assert_eq!(Version.reply(Response::Version(Bytes::from_static(b"1.6.21"))), Ok("1.6.21".to_owned()));
        assert_eq!(Version.reply(Response::Ok), Err(Response::Ok));
    }
}
