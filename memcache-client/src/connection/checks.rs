//! The checks that keep a reply from reaching the wrong caller: opaque tokens, fences, and the keys of a classic
//! retrieval's values.

use std::collections::HashSet;

use crate::proto::{ErrorReply, MetaCode, ProtocolError, ReplyKind, Response, Value};

/// The request that closes a command whose reply carries no token, and whose reply must come right after the
/// command's own: until it has been read, the command's reply is not handed to its caller.
///
/// A classic `get` is answered with `VALUE` blocks and `END`, which name no request: if a reply were lost,
/// repeated or injected ahead of it, the batch would take another request's reply (misses for keys that exist, or
/// another batch's hits) and every later reply on the connection would be shifted by one. The fence makes any such
/// shift show at once, as a reply of the wrong kind or with the wrong token where the fence's reply belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fence {
    /// `mg <key> O<token>` (meta protocol): answered `HD` or `EN` with this token, which no other request carries,
    /// so even the loss of whole replies (a batch's and its fence's) is caught.
    Token(u32),
    /// `version` (text protocol, which has no tokens): answered `VERSION ...`, or `SERVER_ERROR ...` by a proxy
    /// (twemproxy sends `version` to one fixed backend, and answers for it when that one is down; the batch's own
    /// reply, from other backends, is still good). Catches a reply lost, cut short or injected ahead of the batch's
    /// own; a loss of whole batch-and-fence pairs is left to the key check.
    Version,
}

impl Fence {
    pub(super) fn kind(self) -> ReplyKind {
        match self {
            Fence::Token(_) => ReplyKind::Meta,
            Fence::Version => ReplyKind::Version,
        }
    }

    /// Whether `reply` is this fence's answer.
    pub(super) fn answered_by(self, reply: &Response) -> bool {
        match (self, reply) {
            (Fence::Token(token), Response::Meta(r)) => {
                matches!(r.code, MetaCode::Success | MetaCode::Miss) && r.flags.opaque == Some(token)
            }
            (Fence::Version, Response::Version(_) | Response::Error(ErrorReply::Server(_))) => true,
            _ => false,
        }
    }
}

/// The opaque tokens of one request: `count` consecutive values from `first` (wrapping), one per meta command in
/// it, in order. A single `mg`/`ms`/`md`/`ma` has one; a multi-get run of `mg`s one per key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tags {
    pub(crate) first: u32,
    pub(crate) count: u32,
}

impl Tags {
    /// Whether `opaque` is one of these tokens.
    pub(crate) fn contains(self, opaque: u32) -> bool {
        opaque.wrapping_sub(self.first) < self.count
    }
}

/// `response` if it carries exactly the tokens of the request it is matched with: a single meta reply one of
/// `tags`, a batch one reply per command, in order, each with its own command's token (error lines carry none but
/// still take their command's place). Anything else means the stream has shifted (a reply lost, repeated or
/// injected) and the reply belongs to someone else. Untagged replies pass as they are.
pub(super) fn check_tags(tags: Option<Tags>, response: Response) -> Result<Response, ProtocolError> {
    let Some(tags) = tags else { return Ok(response) };
    let expected = || {
        let last = tags.first.wrapping_add(tags.count.saturating_sub(1));
        format!("expected O{}..=O{last}", tags.first)
    };
    let echoed = |reply: &crate::proto::MetaResponse| {
        let token = reply.flags.opaque.map_or_else(|| "no opaque".to_owned(), |o| format!("O{o}"));
        format!("{}, got {:?} with {token}", expected(), reply.code)
    };
    let mismatch = match &response {
        Response::Meta(reply) if !reply.flags.opaque.is_some_and(|o| tags.contains(o)) => Some(echoed(reply)),
        Response::MetaBatch(replies) if replies.len() != tags.count as usize => {
            Some(format!("{}: {} replies to {} commands", expected(), replies.len(), tags.count))
        }
        Response::MetaBatch(replies) => (0u32..).zip(replies).find_map(|(position, reply)| match reply {
            Ok(reply) if reply.flags.opaque != Some(tags.first.wrapping_add(position)) => Some(echoed(reply)),
            _ => None,
        }),
        _ => None,
    };
    match mismatch {
        None => Ok(response),
        Some(shown) => {
            Err(ProtocolError::new("reply answers another request (opaque token mismatch)", shown.as_bytes()))
        }
    }
}

/// The first value in a classic retrieval's reply for a key that `request` (`get`/`gets <key>*` or `gat`/`gats
/// <exptime> <key>*`, as encoded) did not ask for: such a value answers some other request. Text keys are sent as
/// given, so the echo must match exactly.
pub(super) fn stray_value<'v>(request: &[u8], values: &'v [Value]) -> Option<&'v Value> {
    let line = &request[..memchr::memchr(b'\r', request).unwrap_or(request.len())];
    let mut asked = line.split(|&b| b == b' ').filter(|t| !t.is_empty());
    if asked.next().is_some_and(|command| command.starts_with(b"gat")) {
        asked.next();
    }
    // memcached answers in the order asked: walk both together, in linear time. Only a value out of that order
    // (a proxy that reorders) costs a set of the keys.
    let mut walk = asked.clone();
    let mut set: Option<HashSet<&[u8]>> = None;
    values.iter().find(|value| {
        let key = &value.key[..];
        !walk.any(|k| k == key) && !set.get_or_insert_with(|| asked.clone().collect()).contains(key)
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::proto::MetaReplyFlags;

    fn value(key: &str) -> Value {
        Value { key: Bytes::copy_from_slice(key.as_bytes()), flags: 0, cas: None, data: Bytes::new() }
    }

    fn meta(code: MetaCode, opaque: Option<u32>) -> crate::proto::MetaResponse {
        let flags = MetaReplyFlags { opaque, ..MetaReplyFlags::default() };
        crate::proto::MetaResponse { code, flags, value: None }
    }

    #[test]
    fn a_value_for_a_key_not_asked_for_is_stray_in_any_order() {
        let request = b"get a b c\r\nmg a O7\r\n";
        assert!(stray_value(request, &[value("a"), value("c")]).is_none());
        // A proxy may reorder; a repeat is an answer to a repeated key.
        assert!(stray_value(request, &[value("c"), value("a"), value("b")]).is_none());
        assert!(stray_value(b"get a a\r\nversion\r\n", &[value("a"), value("a")]).is_none());
        assert_eq!(stray_value(request, &[value("a"), value("x")]).map(|v| &v.key[..]), Some(&b"x"[..]));
        // The fence's key and the gat exptime are not keys of the retrieval.
        assert!(stray_value(request, &[value("O7")]).is_some());
        assert!(stray_value(b"gat 60 k\r\n", &[value("60")]).is_some());
        assert!(stray_value(b"gats 60 k\r\n", &[value("k")]).is_none());
    }

    #[test]
    fn a_batch_must_answer_each_command_once_with_its_own_token_in_order() {
        let tags = Some(Tags { first: u32::MAX, count: 2 });
        let batch = |replies: Vec<Result<crate::proto::MetaResponse, ErrorReply>>| Response::MetaBatch(replies);
        let ok = batch(vec![Ok(meta(MetaCode::Value, Some(u32::MAX))), Ok(meta(MetaCode::Miss, Some(0)))]);
        assert!(check_tags(tags, ok).is_ok(), "tokens wrap");
        let error_in_place = batch(vec![Err(ErrorReply::Error), Ok(meta(MetaCode::Miss, Some(0)))]);
        assert!(check_tags(tags, error_in_place).is_ok());
        for shifted in [
            batch(vec![Ok(meta(MetaCode::Miss, Some(0))), Ok(meta(MetaCode::Value, Some(u32::MAX)))]),
            batch(vec![Ok(meta(MetaCode::Value, Some(u32::MAX)))]),
            batch(vec![Ok(meta(MetaCode::Value, Some(u32::MAX))), Ok(meta(MetaCode::Miss, None))]),
            batch(vec![
                Ok(meta(MetaCode::Value, Some(u32::MAX))),
                Ok(meta(MetaCode::Miss, Some(0))),
                Ok(meta(MetaCode::Miss, Some(0))),
            ]),
        ] {
            let error = check_tags(tags, shifted).expect_err("a shifted batch");
            assert_eq!(error.reason(), "reply answers another request (opaque token mismatch)");
        }
    }

    #[test]
    fn a_fence_is_answered_only_by_its_own_reply() {
        let token = Fence::Token(9);
        assert!(token.answered_by(&Response::Meta(meta(MetaCode::Success, Some(9)))));
        assert!(token.answered_by(&Response::Meta(meta(MetaCode::Miss, Some(9)))));
        assert!(!token.answered_by(&Response::Meta(meta(MetaCode::Miss, Some(8)))));
        assert!(!token.answered_by(&Response::Meta(meta(MetaCode::NoOp, None))));
        assert!(!token.answered_by(&Response::Version(Bytes::from_static(b"1.6.18"))));
        assert!(Fence::Version.answered_by(&Response::Version(Bytes::from_static(b"1.6.18"))));
        let proxy_error = Response::Error(ErrorReply::Server(Bytes::from_static(b"Connection refused")));
        assert!(Fence::Version.answered_by(&proxy_error));
        assert!(!token.answered_by(&proxy_error));
        assert!(!Fence::Version.answered_by(&Response::Error(ErrorReply::Error)));
        assert!(!Fence::Version.answered_by(&Response::Values(Vec::new())));
    }
}
