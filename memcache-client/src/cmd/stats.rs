//! `stats`: every server's statistics. Text on both protocols: `stats [arg]`, answered `STAT <name> <value>` lines
//! and `END`.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};

use super::{Framing, Op, Tokens, encode_request};
use crate::Error;
use crate::client::Client;
use crate::config::{Protocol, ServerAddr};
use crate::proto::{Request, Response};

/// Asks one server for its statistics, general (`arg` `None`) or of one kind (`items`, `slabs`, ...).
#[derive(Clone, Copy)]
pub(crate) struct Stats<'a> {
    /// The statistics' kind, checked to be one printable word.
    arg: Option<&'a str>,
}

impl<'a> Stats<'a> {
    /// The op for `arg`, which must be one word of printable characters: it goes on the wire as is.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty `arg`, or one with whitespace or control characters.
    pub(crate) fn new(arg: Option<&'a str>) -> Result<Self, Error> {
        if let Some(arg) = arg
            && crate::key::check_text_key(arg.as_bytes()).is_err()
        {
            return Err(Error::InvalidArgument("stats argument must be one word of printable characters"));
        }
        Ok(Self { arg })
    }
}

impl Op for Stats<'_> {
    type Output = BTreeMap<String, String>;

    fn name(&self) -> &'static str {
        "stats"
    }

    fn encode(&self, _protocol: Protocol, buf: &mut BytesMut, tokens: &impl Tokens) -> Result<Framing, Error> {
        encode_request(&Request::Stats { arg: self.arg.map(str::as_bytes) }, buf, tokens)
    }

    fn reply(self, response: Response) -> Result<BTreeMap<String, String>, Response> {
        match response {
            Response::Stats(pairs) => {
                let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
                Ok(pairs.iter().map(|(k, v)| (text(k), text(v))).collect())
            }
            other => Err(other),
        }
    }
}

impl Client {
    /// Each server's statistics (`stats`, or `stats <arg>` such as `items`, `slabs`, `settings`), in server order.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `arg` is empty or holds whitespace or control characters; otherwise the first
    /// server's failure (an unknown argument is a server error reply).
    pub async fn stats(&self, arg: Option<&str>) -> Result<Vec<(ServerAddr, BTreeMap<String, String>)>, Error> {
        let stats = self.broadcast(Stats::new(arg)?).await?;
        Ok(stats.into_iter().map(|(server, stats)| (server.addr.clone(), stats)).collect())
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
            let (bytes, framing) = encode(&Stats::new(None).unwrap(), protocol);
            assert_eq!(bytes, b"stats\r\n");
            assert_eq!((framing.kind, tags(&framing), framing.fence), (ReplyKind::Stats, None, None));
            assert_eq!(encode(&Stats::new(Some("items")).unwrap(), protocol).0, b"stats items\r\n");
        }
    }

    #[test]
    fn an_argument_that_is_not_one_printable_word_is_refused() {
        for arg in ["", "a b", "a\r\nflush_all"] {
            assert!(matches!(Stats::new(Some(arg)), Err(Error::InvalidArgument(_))), "{arg:?}");
        }
    }

    #[test]
    fn the_pairs_by_name_or_unexpected() {
        let pairs =
            vec![(Bytes::from_static(b"pid"), Bytes::from_static(b"1")), (Bytes::from_static(b"a"), Bytes::new())];
        let stats = Stats::new(None).unwrap().reply(Response::Stats(pairs)).unwrap();
        assert_eq!(stats.into_iter().collect::<Vec<_>>(), [("a".into(), String::new()), ("pid".into(), "1".into())]);
        assert_eq!(Stats::new(None).unwrap().reply(Response::Ok), Err(Response::Ok));
    }
}
