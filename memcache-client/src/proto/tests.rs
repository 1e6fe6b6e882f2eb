//! Property and unit tests of the codec: valid streams re-chunked at every byte, garbage, and round trips through
//! both directions (`Request::encode` / `Request::parse`, `Response::encode` / `ReplyDecoder`).

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

use super::*;

/// Every run generates the same cases from this seed; a failure prints its (shrunk) input.
const SEED: u64 = 0x6d65_6d6b_6974;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(SEED),
        ..Config::default()
    }
}

// ---- strategies -------------------------------------------------------------------------------------------------

/// A key memcached accepts: 1..=250 bytes of printable ASCII without space. Mostly short, to keep streams small.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![6 => vec(0x21u8..=0x7e, 1..=12), 1 => vec(0x21u8..=0x7e, 250)]
}

/// A token: printable ASCII without space.
fn token(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<u8>> {
    vec(0x21u8..=0x7e, len)
}

/// Text that stays on one line: printable ASCII, spaces included.
fn text() -> impl Strategy<Value = Vec<u8>> {
    vec(0x20u8..=0x7e, 0..=16)
}

/// A data block: arbitrary bytes, weighted towards lookalikes of the framing around it.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"a\r\nEND\r\nb".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r\nEND\r\n".to_vec()),
        Just(Vec::new()),
        vec(any::<u8>(), 0..=24),
        vec(select(b"\r\nEND VALUE MN 1".to_vec()), 0..=24),
    ]
}

fn meta_mode() -> impl Strategy<Value = MetaMode> {
    use MetaMode::*;
    select(vec![Add, Append, Prepend, Replace, Set, Increment, Decrement])
}

fn meta_flag() -> impl Strategy<Value = MetaFlag> {
    (0u8..23, any::<u64>(), meta_mode()).prop_map(|(which, n, mode)| {
        let small = (n >> 32) as u32;
        match which {
            0 => MetaFlag::Base64Key,
            1 => MetaFlag::ReturnCas,
            2 => MetaFlag::CompareCas(n),
            3 => MetaFlag::NewCas(n),
            4 => MetaFlag::ReturnClientFlags,
            5 => MetaFlag::ClientFlags(small),
            6 => MetaFlag::ReturnHit,
            7 => MetaFlag::Invalidate,
            8 => MetaFlag::InitialValue(n),
            9 => MetaFlag::Delta(n),
            10 => MetaFlag::ReturnKey,
            11 => MetaFlag::ReturnLastAccess,
            12 => MetaFlag::Mode(mode),
            13 => MetaFlag::Vivify(small),
            14 => MetaFlag::Opaque(small),
            15 => MetaFlag::Quiet,
            16 => MetaFlag::Recache(small),
            17 => MetaFlag::ReturnSize,
            18 => MetaFlag::ReturnTtl,
            19 => MetaFlag::Ttl(small),
            20 => MetaFlag::NoLruBump,
            21 => MetaFlag::ReturnValue,
            _ => MetaFlag::RemoveValue,
        }
    })
}

/// `ms` and `ma` only take their own modes (memcached refuses the others), so generated modes are mapped onto them.
fn with_modes(flags: &[MetaFlag], arithmetic: bool) -> Vec<MetaFlag> {
    let fit = |mode| match (arithmetic, mode) {
        (true, MetaMode::Increment | MetaMode::Decrement) => mode,
        (true, _) => MetaMode::Increment,
        (false, MetaMode::Increment | MetaMode::Decrement) => MetaMode::Set,
        (false, _) => mode,
    };
    flags.iter().map(|&flag| if let MetaFlag::Mode(mode) = flag { MetaFlag::Mode(fit(mode)) } else { flag }).collect()
}

/// The owned material of one request; [`RequestCase::request`] borrows it as the request of kind `kind`.
#[derive(Debug, Clone)]
struct RequestCase {
    kind: u8,
    keys: Vec<Vec<u8>>,
    data: Vec<u8>,
    small: u32,
    big: u64,
    noreply: bool,
    optional: bool,
    flags: Vec<MetaFlag>,
    stats_arg: Vec<u8>,
}

/// How many request kinds [`RequestCase::request`] distinguishes (the five store modes count separately).
const REQUEST_KINDS: u8 = 24;

impl RequestCase {
    fn request(&self) -> Request<'_> {
        let key = &self.keys[0][..];
        let keys = Cow::Owned(self.keys.iter().map(Vec::as_slice).collect());
        let (data, small, big, noreply) = (&self.data[..], self.small, self.big, self.noreply);
        let exptime = (big >> 32) as u32;
        let flags = |modes: Option<bool>| {
            Cow::Owned(modes.map_or_else(|| self.flags.clone(), |arithmetic| with_modes(&self.flags, arithmetic)))
        };
        const MODES: [StoreMode; 5] =
            [StoreMode::Set, StoreMode::Add, StoreMode::Replace, StoreMode::Append, StoreMode::Prepend];
        match self.kind {
            0 => Request::Get { keys },
            1 => Request::Gets { keys },
            2 => Request::Gat { exptime, keys },
            3 => Request::Gats { exptime, keys },
            4..=8 => {
                let mode = MODES[usize::from(self.kind - 4)];
                Request::Store { mode, key, flags: small, exptime, data, noreply }
            }
            9 => Request::Cas { key, flags: small, exptime, data, cas: big, noreply },
            10 => Request::Delete { key, noreply },
            11 => Request::Incr { key, delta: big, noreply },
            12 => Request::Decr { key, delta: big, noreply },
            13 => Request::Touch { key, exptime, noreply },
            14 => Request::FlushAll { delay: self.optional.then_some(small), noreply },
            15 => Request::Version,
            16 => Request::Stats { arg: self.optional.then_some(&self.stats_arg[..]) },
            17 => Request::Verbosity { level: small, noreply },
            // mg, md and me ignore modes; the parser takes either kind of letter for them.
            18 => Request::MetaGet { key, flags: flags(None) },
            19 => Request::MetaSet { key, flags: flags(Some(false)), data },
            20 => Request::MetaDelete { key, flags: flags(None) },
            21 => Request::MetaArithmetic { key, flags: flags(Some(true)) },
            22 => Request::MetaDebug { key, flags: flags(None) },
            _ => Request::MetaNoOp,
        }
    }
}

fn request_case() -> impl Strategy<Value = RequestCase> {
    // `stats` arguments such as `cachedump 1 10`: tokens joined by single spaces.
    let stats_arg = vec(token(1..=8), 1..=3).prop_map(|tokens| tokens.join(&b' '));
    (
        0..REQUEST_KINDS,
        vec(key(), 1..=4),
        data(),
        any::<u32>(),
        any::<u64>(),
        any::<bool>(),
        any::<bool>(),
        vec(meta_flag(), 0..=6),
        stats_arg,
    )
        .prop_map(|(kind, keys, data, small, big, noreply, optional, flags, stats_arg)| RequestCase {
            kind,
            keys,
            data,
            small,
            big,
            noreply,
            optional,
            flags,
            stats_arg,
        })
}

fn error_reply() -> impl Strategy<Value = ErrorReply> {
    prop_oneof![
        Just(ErrorReply::Error),
        text().prop_map(|m| ErrorReply::Client(m.into())),
        text().prop_map(|m| ErrorReply::Server(m.into())),
    ]
}

fn reply_flags() -> impl Strategy<Value = MetaReplyFlags> {
    let first = (
        option::of(any::<u32>()),
        option::of(token(0..=12)),
        any::<bool>(),
        option::of(any::<u64>()),
        option::of(any::<u32>()),
        option::of(prop_oneof![Just(-1i64), Just(i64::MIN), any::<i64>()]),
    );
    let second = (
        option::of(any::<u64>()),
        option::of(any::<u64>()),
        option::of(any::<bool>()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    );
    (first, second).prop_map(
        |((opaque, key, base64_key, cas, client_flags, ttl), (size, last_access, hit_before, won, stale, win_sent))| {
            MetaReplyFlags {
                opaque,
                key: key.map(Bytes::from),
                base64_key,
                cas,
                client_flags,
                ttl,
                size,
                last_access,
                hit_before,
                won,
                stale,
                win_sent,
            }
        },
    )
}

/// A meta reply as memcached sends it: a value only with `VA`, no flags on `MN`.
fn meta_response(allow_noop: bool) -> impl Strategy<Value = MetaResponse> {
    use MetaCode::*;
    let mut codes = vec![Value, Success, Miss, NotFound, NotStored, Exists];
    if allow_noop {
        codes.push(NoOp);
    }
    (select(codes), reply_flags(), data()).prop_map(|(code, flags, data)| match code {
        Value => MetaResponse { code, flags, value: Some(data.into()) },
        NoOp => MetaResponse { code, flags: MetaReplyFlags::default(), value: None },
        _ => MetaResponse { code, flags, value: None },
    })
}

fn value() -> impl Strategy<Value = Value> {
    (key(), any::<u32>(), option::of(any::<u64>()), data()).prop_map(|(key, flags, cas, data)| Value {
        key: key.into(),
        flags,
        cas,
        data: data.into(),
    })
}

/// A reply together with the kind of request it answers.
fn reply() -> impl Strategy<Value = (ReplyKind, Response)> {
    use ReplyKind as K;
    use Response as R;
    let text_replies = prop_oneof![
        select(vec![R::Stored, R::NotStored, R::Exists, R::NotFound]).prop_map(|r| (K::Storage, r)),
        select(vec![R::Deleted, R::NotFound]).prop_map(|r| (K::Delete, r)),
        prop_oneof![any::<u64>().prop_map(R::Number), Just(R::NotFound)].prop_map(|r| (K::Arithmetic, r)),
        select(vec![R::Touched, R::NotFound]).prop_map(|r| (K::Touch, r)),
        Just((K::Ok, R::Ok)),
        text().prop_map(|v| (K::Version, R::Version(v.into()))),
        vec((token(1..=10), text()), 0..=4).prop_map(|stats| {
            (K::Stats, R::Stats(stats.into_iter().map(|(name, value)| (name.into(), value.into())).collect()))
        }),
        vec(value(), 0..=3).prop_map(|values| (K::Retrieval, R::Values(values))),
    ];
    let field_name = vec((0x21u8..=0x7e).prop_filter("no '='", |&b| b != b'='), 1..=6);
    let miss = MetaResponse { code: MetaCode::Miss, flags: MetaReplyFlags::default(), value: None };
    let meta_replies = prop_oneof![
        meta_response(true).prop_map(|m| (K::Meta, R::Meta(m))),
        (key(), vec((field_name, token(0..=8)), 0..=4)).prop_map(|(key, fields)| {
            let fields = fields.into_iter().map(|(name, value)| (name.into(), value.into())).collect();
            (K::MetaDebug, R::MetaDebug { key: key.into(), fields })
        }),
        Just((K::MetaDebug, R::Meta(miss))),
        vec(prop_oneof![4 => meta_response(false).prop_map(Ok), 1 => error_reply().prop_map(Err)], 0..=3)
            .prop_map(|batch| (K::MetaBatch, R::MetaBatch(batch))),
    ];
    // Any command but a batch can be answered by a bare error; in a batch the error is one of its replies.
    let non_batch_kinds = vec![
        K::Storage,
        K::Retrieval,
        K::Delete,
        K::Arithmetic,
        K::Touch,
        K::Ok,
        K::Version,
        K::Stats,
        K::Meta,
        K::MetaDebug,
    ];
    let errors = (select(non_batch_kinds), error_reply()).prop_map(|(kind, e)| (kind, R::Error(e)));
    prop_oneof![4 => text_replies, 4 => meta_replies, 1 => errors]
}

fn encoded(response: &Response) -> Vec<u8> {
    let mut wire = BytesMut::new();
    response.encode(&mut wire);
    wire.to_vec()
}

/// One reply of a stream: its kind, its bytes, and what it must decode to.
type StreamItem = (ReplyKind, Vec<u8>, Response);

fn stream() -> impl Strategy<Value = Vec<StreamItem>> {
    let item = prop_oneof![
        6 => reply().prop_map(|(kind, response)| (kind, encoded(&response), response)),
        // memcached pads an incr/decr result with spaces when it is shorter than the value it replaced.
        1 => (any::<u64>(), 1usize..=4).prop_map(|(n, pad)| {
            (ReplyKind::Arithmetic, format!("{n}{}\r\n", " ".repeat(pad)).into_bytes(), Response::Number(n))
        }),
    ];
    vec(item, 1..=5)
}

/// Bytes made of protocol words, to reach deeper into the parsers than uniform noise does.
fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    const WORDS: &str = "VALUE |END|STAT |VA |HD|EN|MN|ME |ERROR|CLIENT_ERROR |VERSION |STORED|NOT_FOUND|k=v |\r\n|\n|\r\
        | |0|1|3|18446744073709551616|-1|k|c|t-1|h1|get |gat |set |cas |ms |mg |ma |delete |flush_all|stats|noreply\
        | MI| ME| T1| q|abc";
    let words: Vec<&[u8]> = WORDS.split('|').map(str::as_bytes).collect();
    vec(select(words), 0..=48).prop_map(|words| words.concat())
}

// ---- helpers ----------------------------------------------------------------------------------------------------

/// Feeds `chunks` one at a time into a buffer, decoding replies of `kinds` in order after each until one is
/// incomplete. A `None` must leave the buffer untouched, and nothing may be left over at the end.
fn decode_chunks<'c>(
    kinds: &[ReplyKind],
    chunks: impl IntoIterator<Item = &'c [u8]>,
) -> Result<Vec<Response>, ProtocolError> {
    let decoder = ReplyDecoder::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(&kind) = kinds.get(out.len()) {
            let before = buf.clone();
            match decoder.decode(kind, &mut buf)? {
                Some(response) => out.push(response),
                None => {
                    assert_eq!(buf, before, "a partial decode consumed bytes");
                    break;
                }
            }
        }
    }
    assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
    Ok(out)
}

/// As [`decode_chunks`], but the way the connection reads: long replies part by part through an [`Assembler`].
fn assemble_chunks<'c>(
    kinds: &[ReplyKind],
    chunks: impl IntoIterator<Item = &'c [u8]>,
) -> Result<Vec<Response>, ProtocolError> {
    let decoder = ReplyDecoder::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut assembler = Assembler::default();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(&kind) = kinds.get(out.len()) {
            match assembler.decode(&decoder, kind, &mut buf)? {
                Some(response) => {
                    out.push(response);
                    assembler = Assembler::default();
                }
                None => break,
            }
        }
    }
    assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
    Ok(out)
}

fn all_kinds() -> [ReplyKind; 11] {
    use ReplyKind::*;
    [Storage, Retrieval, Delete, Arithmetic, Touch, Ok, Version, Stats, Meta, MetaDebug, MetaBatch]
}

/// Decodes replies of every kind from `bytes` until an error or incomplete reply; it must not panic, and each
/// success must consume at least one byte and no more than there are.
fn decode_garbage(bytes: &[u8]) {
    let decoder = ReplyDecoder::default();
    for kind in all_kinds() {
        let mut pos = 0;
        while let Ok(Some((_, used))) = decoder.parse(kind, &bytes[pos..]) {
            assert!(used > 0 && used <= bytes.len() - pos, "{kind:?} consumed {used} of {}", bytes.len() - pos);
            pos += used;
        }
    }
    let mut pos = 0;
    while let Ok(Some((_, used))) = Request::parse(&bytes[pos..]) {
        assert!(used > 0 && used <= bytes.len() - pos, "request consumed {used} of {}", bytes.len() - pos);
        pos += used;
    }
}

fn reason(kind: ReplyKind, input: &[u8]) -> &'static str {
    match ReplyDecoder::default().parse(kind, input) {
        Err(err) => err.reason(),
        other => panic!("expected an error for {input:?}, got {other:?}"),
    }
}

fn request_reason(input: &[u8]) -> &'static str {
    match Request::parse(input) {
        Err(err) => err.reason(),
        other => panic!("expected an error for {input:?}, got {other:?}"),
    }
}

fn parse_whole(input: &[u8]) -> Request<'_> {
    match Request::parse(input) {
        Ok(Some((request, used))) if used == input.len() => request,
        other => panic!("expected one whole request from {input:?}, got {other:?}"),
    }
}

// ---- properties -------------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn reply_stream_decodes_identically_however_split(stream in stream()) {
        let kinds: Vec<_> = stream.iter().map(|(kind, _, _)| *kind).collect();
        let expected: Vec<_> = stream.iter().map(|(_, _, response)| response.clone()).collect();
        let wire = stream.iter().flat_map(|(_, bytes, _)| bytes.iter().copied()).collect::<Vec<u8>>();

        prop_assert_eq!(&decode_chunks(&kinds, [&wire[..]]).unwrap(), &expected);
        prop_assert_eq!(&decode_chunks(&kinds, wire.chunks(1)).unwrap(), &expected);
        prop_assert_eq!(&assemble_chunks(&kinds, wire.chunks(1)).unwrap(), &expected);
        for split in 0..=wire.len() {
            let (a, b) = wire.split_at(split);
            prop_assert_eq!(&decode_chunks(&kinds, [a, b]).unwrap(), &expected, "split at {}", split);
            prop_assert_eq!(&assemble_chunks(&kinds, [a, b]).unwrap(), &expected, "assembled, split at {}", split);
        }
    }

    #[test]
    fn mutated_reply_streams_never_panic(
        stream in stream(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..=4),
    ) {
        let mut wire = stream.iter().flat_map(|(_, bytes, _)| bytes.iter().copied()).collect::<Vec<u8>>();
        for (at, byte, op) in edits {
            let i = at.index(wire.len() + 1);
            match op {
                0 => wire.insert(i, byte),
                _ if i == wire.len() => {}
                1 => wire[i] = byte,
                _ => {
                    wire.remove(i);
                }
            }
        }
        decode_garbage(&wire);
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn reply_round_trips((kind, response) in reply()) {
        let wire = encoded(&response);
        let decoder = ReplyDecoder::default();
        prop_assert_eq!(decoder.parse(kind, &wire), Ok(Some((response.clone(), wire.len()))));
        let mut buf = BytesMut::from(&wire[..]);
        prop_assert_eq!(decoder.decode(kind, &mut buf), Ok(Some(response)));
        prop_assert!(buf.is_empty());
        for end in 0..wire.len() {
            prop_assert_eq!(decoder.parse(kind, &wire[..end]), Ok(None), "prefix of {} bytes", end);
        }
    }

    #[test]
    fn request_round_trips(case in request_case()) {
        let request = case.request();
        let mut wire = BytesMut::new();
        request.encode(&mut wire);
        // A pipelined request that follows is left alone.
        let piped = [&wire[..], b"mn\r\n"].concat();
        prop_assert_eq!(Request::parse(&wire), Ok(Some((request.clone(), wire.len()))));
        prop_assert_eq!(Request::parse(&piped), Ok(Some((request, wire.len()))));
        for end in 0..wire.len() {
            prop_assert_eq!(Request::parse(&wire[..end]), Ok(None), "prefix of {} bytes", end);
        }
    }

    #[test]
    fn a_tag_is_added_exactly_to_meta_commands_answered_once(case in request_case(), tag in any::<u32>()) {
        let request = case.request();
        let mut wire = BytesMut::new();
        let tagged = request.encode_tagged(&mut wire, tag);
        let with_tag = |flags: &[MetaFlag]| -> Cow<'static, [MetaFlag]> {
            flags.iter().copied().chain([MetaFlag::Opaque(tag)]).collect::<Vec<_>>().into()
        };
        let answered_once = |flags: &[MetaFlag]| !flags.iter().any(|f| matches!(f, MetaFlag::Quiet | MetaFlag::Opaque(_)));
        let expected = match &request {
            Request::MetaGet { key, flags } if answered_once(flags) => Request::MetaGet { key, flags: with_tag(flags) },
            Request::MetaSet { key, flags, data } if answered_once(flags) => {
                Request::MetaSet { key, flags: with_tag(flags), data }
            }
            Request::MetaDelete { key, flags } if answered_once(flags) => {
                Request::MetaDelete { key, flags: with_tag(flags) }
            }
            Request::MetaArithmetic { key, flags } if answered_once(flags) => {
                Request::MetaArithmetic { key, flags: with_tag(flags) }
            }
            other => other.clone(),
        };
        prop_assert_eq!(tagged, expected != request);
        prop_assert_eq!(Request::parse(&wire), Ok(Some((expected, wire.len()))));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..=256)) {
        decode_garbage(&bytes);
    }

    #[test]
    fn protocol_word_soup_never_panics(bytes in token_soup()) {
        decode_garbage(&bytes);
    }

    #[test]
    fn reply_starting_in_lowercase_is_an_error(
        first in b'a'..=b'z',
        rest in vec(any::<u8>().prop_filter("no line end", |&b| b != b'\n'), 0..=64),
        tail in vec(any::<u8>(), 0..=32),
    ) {
        // No reply of any kind starts with a lowercase letter.
        let input = [&[first][..], &rest, b"\r\n", &tail].concat();
        for kind in all_kinds() {
            let result = ReplyDecoder::default().parse(kind, &input);
            prop_assert!(result.is_err(), "{:?} accepted {:?}: {:?}", kind, input, result);
        }
    }

    #[test]
    fn request_starting_in_uppercase_is_an_error(
        first in b'A'..=b'Z',
        rest in vec(any::<u8>().prop_filter("no line end", |&b| b != b'\n'), 0..=64),
        tail in vec(any::<u8>(), 0..=32),
    ) {
        // Commands are lowercase; memcached answers `ERROR` to `GET`.
        let input = [&[first][..], &rest, b"\n", &tail].concat();
        prop_assert_eq!(Request::parse(&input).map_err(|e| e.reason()), Err("unknown command"));
    }
}

// ---- replies: unit tests ----------------------------------------------------------------------------------------

#[test]
fn value_block_is_framed_by_its_declared_length_only() {
    let mut buf = BytesMut::from(&b"VALUE k 3 9\r\na\r\nEND\r\nb\r\nEND\r\n"[..]);
    let response = ReplyDecoder::default().decode(ReplyKind::Retrieval, &mut buf).unwrap();
    let value =
        Value { key: Bytes::from_static(b"k"), flags: 3, cas: None, data: Bytes::from_static(b"a\r\nEND\r\nb") };
    assert_eq!(response, Some(Response::Values(vec![value])));
    assert!(buf.is_empty());
}

#[test]
fn value_block_waits_for_its_declared_length() {
    // `a\r\nEND\r\n` would end the reply if the decoder scanned for END instead of counting bytes.
    let input = b"VALUE k 3 9\r\na\r\nEND\r\n";
    let mut buf = BytesMut::from(&input[..]);
    assert_eq!(ReplyDecoder::default().decode(ReplyKind::Retrieval, &mut buf), Ok(None));
    assert_eq!(buf.len(), input.len());
}

#[test]
fn bare_newline_is_rejected() {
    assert_eq!(reason(ReplyKind::Storage, b"STORED\n"), "reply line not terminated by \\r\\n");
    assert_eq!(reason(ReplyKind::Meta, b"\n"), "reply line not terminated by \\r\\n");
}

#[test]
fn over_long_line_is_rejected_before_its_end_arrives() {
    let mut line = b"VALUE ".to_vec();
    line.resize(DEFAULT_MAX_LINE + 2, b'x');
    assert_eq!(reason(ReplyKind::Retrieval, &line), "reply line too long");
    // One byte shorter could still be a line of the maximum length followed by `\r\n`.
    assert_eq!(ReplyDecoder::default().parse(ReplyKind::Retrieval, &line[..DEFAULT_MAX_LINE + 1]), Ok(None));
}

#[test]
fn value_with_non_numeric_length_is_rejected() {
    assert_eq!(reason(ReplyKind::Retrieval, b"VALUE k 0 abc\r\nabc\r\nEND\r\n"), "malformed VALUE line");
    assert_eq!(reason(ReplyKind::Retrieval, b"VALUE k 0 -1\r\n"), "malformed VALUE line");
    assert_eq!(reason(ReplyKind::Retrieval, b"VALUE k 0 3 1 extra\r\n"), "malformed VALUE line");
}

#[test]
fn data_block_not_followed_by_crlf_is_rejected() {
    assert_eq!(reason(ReplyKind::Retrieval, b"VALUE k 0 3\r\nabcd\r\n"), "data block not terminated by \\r\\n");
    assert_eq!(reason(ReplyKind::Meta, b"VA 1\r\nab\r\n"), "data block not terminated by \\r\\n");
}

#[test]
fn data_block_over_the_limit_is_rejected_without_waiting() {
    let decoder = ReplyDecoder::with_max_value(4);
    let err = decoder.parse(ReplyKind::Meta, b"VA 5\r\n").unwrap_err();
    assert_eq!(err.reason(), "data block longer than the configured limit");
}

#[test]
fn unknown_meta_code_is_rejected() {
    assert_eq!(reason(ReplyKind::Meta, b"ZZ 1\r\n"), "unexpected reply line");
    assert_eq!(reason(ReplyKind::MetaBatch, b"HD\r\nHDX\r\nMN\r\n"), "unexpected reply line");
    assert_eq!(reason(ReplyKind::Meta, b"VA x\r\n"), "malformed VA size");
    assert_eq!(reason(ReplyKind::Meta, b"HD cX\r\n"), "malformed meta reply flag");
}

#[test]
fn reply_of_the_wrong_kind_is_rejected() {
    assert_eq!(reason(ReplyKind::Storage, b"DELETED\r\n"), "unexpected reply line");
    assert_eq!(reason(ReplyKind::Arithmetic, b"12a\r\n"), "malformed incr/decr reply");
    assert_eq!(reason(ReplyKind::Stats, b"STAT a b\r\nVALUE k 0 1\r\n"), "malformed STAT line");
    assert_eq!(reason(ReplyKind::MetaDebug, b"ME k novalue\r\n"), "malformed ME field");
    assert_eq!(reason(ReplyKind::Version, b"VERSION\r\n"), "unexpected reply line");
}

#[test]
fn padded_incr_reply_is_a_number() {
    let parsed = ReplyDecoder::default().parse(ReplyKind::Arithmetic, b"12   \r\n");
    assert_eq!(parsed, Ok(Some((Response::Number(12), 7))));
}

#[test]
fn batch_that_starts_with_an_error_runs_to_its_mn() {
    // Regression: the error used to be returned as the whole reply, leaving `HD` and `MN` to be misread as the
    // replies to later requests.
    let input = b"CLIENT_ERROR bad command line format\r\nHD\r\nMN\r\n";
    let hd = MetaResponse { code: MetaCode::Success, flags: MetaReplyFlags::default(), value: None };
    let batch =
        Response::MetaBatch(vec![Err(ErrorReply::Client(Bytes::from_static(b"bad command line format"))), Ok(hd)]);
    assert_eq!(ReplyDecoder::default().parse(ReplyKind::MetaBatch, input), Ok(Some((batch, input.len()))));
}

#[test]
fn error_reply_answers_any_other_kind() {
    let input = b"SERVER_ERROR out of memory storing object\r\n";
    let error = Response::Error(ErrorReply::Server(Bytes::from_static(b"out of memory storing object")));
    for kind in all_kinds().into_iter().filter(|&k| k != ReplyKind::MetaBatch) {
        assert_eq!(ReplyDecoder::default().parse(kind, input), Ok(Some((error.clone(), input.len()))), "{kind:?}");
    }
}

#[test]
fn most_negative_ttl_parses() {
    // Regression: `t-9223372036854775808` was refused because its magnitude does not fit an i64.
    let Ok(Some((Response::Meta(reply), _))) =
        ReplyDecoder::default().parse(ReplyKind::Meta, b"HD t-9223372036854775808\r\n")
    else {
        panic!("not parsed")
    };
    assert_eq!(reply.flags.ttl, Some(i64::MIN));
}

#[test]
fn responses_encode_as_memcached_writes_them() {
    let cases: Vec<(Response, &[u8])> = vec![
        (Response::Stored, b"STORED\r\n"),
        (Response::Number(101), b"101\r\n"),
        (Response::Version(Bytes::from_static(b"1.6.18")), b"VERSION 1.6.18\r\n"),
        (
            Response::Values(vec![Value {
                key: Bytes::from_static(b"foo"),
                flags: 5,
                cas: Some(7),
                data: Bytes::from_static(b"100"),
            }]),
            b"VALUE foo 5 3 7\r\n100\r\nEND\r\n",
        ),
        (Response::Stats(vec![(Bytes::from_static(b"pid"), Bytes::from_static(b"42"))]), b"STAT pid 42\r\nEND\r\n"),
        (
            Response::Meta(MetaResponse {
                code: MetaCode::Value,
                flags: MetaReplyFlags {
                    opaque: Some(12),
                    key: Some(Bytes::from_static(b"foo")),
                    cas: Some(3),
                    client_flags: Some(5),
                    ttl: Some(-1),
                    size: Some(3),
                    last_access: Some(0),
                    hit_before: Some(false),
                    ..MetaReplyFlags::default()
                },
                value: Some(Bytes::from_static(b"100")),
            }),
            b"VA 3 O12 kfoo c3 f5 t-1 s3 l0 h0\r\n100\r\n",
        ),
        (
            Response::MetaDebug {
                key: Bytes::from_static(b"foo"),
                fields: vec![
                    (Bytes::from_static(b"exp"), Bytes::from_static(b"-1")),
                    (Bytes::from_static(b"fetch"), Bytes::from_static(b"yes")),
                ],
            },
            b"ME foo exp=-1 fetch=yes\r\n",
        ),
        (
            Response::MetaBatch(vec![
                Ok(MetaResponse {
                    code: MetaCode::Success,
                    flags: MetaReplyFlags { key: Some(Bytes::from_static(b"foo")), ..MetaReplyFlags::default() },
                    value: None,
                }),
                Err(ErrorReply::Error),
            ]),
            b"HD kfoo\r\nERROR\r\nMN\r\n",
        ),
        (
            Response::Error(ErrorReply::Client(Bytes::from_static(b"bad data chunk"))),
            b"CLIENT_ERROR bad data chunk\r\n",
        ),
    ];
    for (response, wire) in cases {
        assert_eq!(encoded(&response), wire, "{response:?}");
    }
}

// ---- requests: unit tests ---------------------------------------------------------------------------------------

#[test]
fn request_forms_memcached_accepts_parse() {
    let keys = |keys: &[&'static [u8]]| Cow::Owned(keys.to_vec());
    assert_eq!(parse_whole(b"get a b\n"), Request::Get { keys: keys(&[b"a", b"b"]) });
    assert_eq!(parse_whole(b"  gets   a  b  \r\n"), Request::Gets { keys: keys(&[b"a", b"b"]) });
    assert_eq!(parse_whole(b"delete foo 0 noreply\r\n"), Request::Delete { key: b"foo", noreply: true });
    assert_eq!(parse_whole(b"stats cachedump 1 10\r\n"), Request::Stats { arg: Some(b"cachedump 1 10") });
    assert_eq!(parse_whole(b"stats \r\n"), Request::Stats { arg: None });
    assert_eq!(parse_whole(b"flush_all noreply\r\n"), Request::FlushAll { delay: None, noreply: true });
    assert_eq!(
        parse_whole(b"ma foo MI D2 v\r\n"),
        Request::MetaArithmetic {
            key: b"foo",
            flags: Cow::Owned(vec![MetaFlag::Mode(MetaMode::Increment), MetaFlag::Delta(2), MetaFlag::ReturnValue]),
        }
    );
    assert_eq!(
        parse_whole(b"ms foo 2 T0 F3 c ME\r\nhi\r\n"),
        Request::MetaSet {
            key: b"foo",
            flags: Cow::Owned(vec![
                MetaFlag::Ttl(0),
                MetaFlag::ClientFlags(3),
                MetaFlag::ReturnCas,
                MetaFlag::Mode(MetaMode::Add),
            ]),
            data: b"hi",
        }
    );
}

#[test]
fn incomplete_request_waits() {
    assert_eq!(Request::parse(b"get foo"), Ok(None));
    assert_eq!(Request::parse(b"set k 0 0 2\r\nab"), Ok(None));
    assert_eq!(Request::parse(b"set k 0 0 2\r\nab\r"), Ok(None));
}

#[test]
fn malformed_requests_are_rejected() {
    assert_eq!(request_reason(b"bogus\r\n"), "unknown command");
    assert_eq!(request_reason(b"\r\n"), "empty request line");
    assert_eq!(request_reason(b"get\r\n"), "wrong number of tokens in request line");
    assert_eq!(request_reason(b"set k 0 0\r\n"), "wrong number of tokens in request line");
    assert_eq!(request_reason(b"set k 0 0 1 later\r\na\r\n"), "wrong number of tokens in request line");
    assert_eq!(request_reason(b"delete k 5\r\n"), "wrong number of tokens in request line");
    assert_eq!(request_reason(b"touch k -1\r\n"), "malformed number in request line");
    assert_eq!(request_reason(b"incr k x\r\n"), "malformed number in request line");
    assert_eq!(request_reason(b"set k 0 0 1\r\nab\r\n"), "data block not terminated by \\r\\n");
    assert_eq!(request_reason(b"set k 0 0 9999999999\r\n"), "data block longer than the limit");
    assert_eq!(request_reason(b"mg k z\r\n"), "unknown meta flag");
    assert_eq!(request_reason(b"mg k v1\r\n"), "malformed meta flag");
    // memcached: `CLIENT_ERROR invalid mode for ms M token`.
    assert_eq!(request_reason(b"ms k 2 MI\r\nhi\r\n"), "malformed meta flag");
    assert_eq!(request_reason(b"ma k ME\r\n"), "malformed meta flag");
}

#[test]
fn key_longer_than_250_bytes_is_rejected() {
    let line = [&b"get "[..], &[b'k'; 251], b"\r\n"].concat();
    assert_eq!(request_reason(&line), "key longer than 250 bytes");
    let line = [&b"get "[..], &[b'k'; 250], b"\r\n"].concat();
    assert!(matches!(parse_whole(&line), Request::Get { .. }));
}

#[test]
fn only_retrievals_may_exceed_the_line_limit() {
    let mut set = b"set ".to_vec();
    set.resize(3000, b'k');
    assert_eq!(request_reason(&set), "request line too long");

    // Twenty 250-byte keys: over 5000 bytes, like a multi-get memcached also accepts.
    let key = [b'k'; 250];
    let mut get = b"get".to_vec();
    for _ in 0..20 {
        get.push(b' ');
        get.extend_from_slice(&key);
    }
    assert_eq!(Request::parse(&get), Ok(None));
    get.extend_from_slice(b"\r\n");
    let Request::Get { keys } = parse_whole(&get) else { panic!("not a get") };
    assert_eq!(keys.len(), 20);
}

#[test]
fn reply_kind_all_lists_every_kind_once_in_order() {
    for (position, kind) in ReplyKind::ALL.into_iter().enumerate() {
        // Exhaustive on purpose: a new kind does not compile here until it is placed in `ALL`.
        let expected = match kind {
            ReplyKind::Storage => 0,
            ReplyKind::Retrieval => 1,
            ReplyKind::Delete => 2,
            ReplyKind::Arithmetic => 3,
            ReplyKind::Touch => 4,
            ReplyKind::Ok => 5,
            ReplyKind::Version => 6,
            ReplyKind::Stats => 7,
            ReplyKind::Meta => 8,
            ReplyKind::MetaDebug => 9,
            ReplyKind::MetaBatch => 10,
        };
        assert_eq!(position, expected, "{kind:?}");
    }
}
