//! `Error::kind` and the messages of rejected values.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;

use super::{Error, ErrorKind};
use crate::typed::Rejection;

/// Every kind, listed by hand: a kind added without a name of its own fails `names_are_unique_and_stable`.
const ALL: [ErrorKind; 21] = [
    ErrorKind::InvalidKey,
    ErrorKind::ValueTooLarge,
    ErrorKind::InvalidAddress,
    ErrorKind::ConnectTimeout,
    ErrorKind::Connect,
    ErrorKind::Timeout,
    ErrorKind::ServerDown,
    ErrorKind::Tls,
    ErrorKind::InvalidTlsConfig,
    ErrorKind::AuthFailed,
    ErrorKind::Io,
    ErrorKind::Protocol,
    ErrorKind::ConnectionReset,
    ErrorKind::UnknownCommand,
    ErrorKind::ClientError,
    ErrorKind::ServerError,
    ErrorKind::UnexpectedReply,
    ErrorKind::Rejected,
    ErrorKind::Encode,
    ErrorKind::Untraceable,
    ErrorKind::InvalidArgument,
];

fn rejected(reason: Rejection) -> Error {
    Error::Rejected { key: Bytes::from_static(b"k"), reason }
}

#[test]
fn kind_names_the_variant() {
    let timeout = Error::Timeout { server: "a:1".into(), timeout: Duration::from_secs(1) };
    assert_eq!(timeout.kind(), ErrorKind::Timeout);
    assert_eq!(Error::InvalidArgument("no keys").kind(), ErrorKind::InvalidArgument);
    assert_eq!(Error::UnknownCommand { server: "a:1".into() }.kind(), ErrorKind::UnknownCommand);
    let encode = Error::Encode { key: Bytes::from_static(b"k"), type_name: "a", message: "no".into() };
    assert_eq!(encode.kind(), ErrorKind::Encode);
    let corrupt = rejected(Rejection::Corrupt { reason: "bad magic bytes" });
    assert_eq!(corrupt.kind(), ErrorKind::Rejected);
    assert!(corrupt.is_rejected_value() && !encode.is_rejected_value() && !timeout.is_rejected_value());
}

#[test]
fn names_are_unique_and_stable() {
    let names: HashSet<&str> = ALL.iter().map(|kind| kind.as_str()).collect();
    assert_eq!(names.len(), ALL.len(), "{names:?}");
    for kind in ALL {
        assert_eq!(kind.to_string(), kind.as_str());
        assert!(kind.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{kind:?}");
    }
    // Metrics labels and dashboards key on these: they must not drift.
    assert_eq!(ErrorKind::Timeout.as_str(), "timeout");
    assert_eq!(ErrorKind::ConnectTimeout.as_str(), "connect_timeout");
    assert_eq!(ErrorKind::InvalidTlsConfig.as_str(), "invalid_tls_config");
    assert_eq!(ErrorKind::Untraceable.as_str(), "untraceable");
}

/// The messages are those of the separate variants `Rejected` replaced, word for word: logs and alerts match them.
#[test]
fn rejected_messages_are_unchanged() {
    let cases = [
        (
            Rejection::NotEnveloped { flags: 42 },
            "not_enveloped",
            r#"value under "k" is not a typed envelope (client flags 0x2a)"#,
        ),
        (
            Rejection::UnexpectedType { expected: "shop.Product", found: "shop.Customer".into() },
            "unexpected_type",
            r#"value under "k" is a "shop.Customer", not a "shop.Product""#,
        ),
        (
            Rejection::UnexpectedVersion { type_name: "shop.Product", expected: 1, found: 2 },
            "unexpected_version",
            r#"value under "k" is shop.Product version 2, reader expects version 1"#,
        ),
        (
            Rejection::SchemaMismatch { type_name: "shop.Product", version: 3, expected: 0xab, found: 0 },
            "schema_mismatch",
            concat!(
                r#"value under "k" is shop.Product version 3 with schema fingerprint 0x0000000000000000, "#,
                "reader has 0x00000000000000ab: the type changed without a version bump",
            ),
        ),
        (
            Rejection::UnexpectedCodec { expected: "postcard", found: 1 },
            "unexpected_codec",
            r#"value under "k" was encoded with codec 1, reader uses postcard"#,
        ),
        (
            Rejection::Corrupt { reason: "checksum mismatch" },
            "corrupt",
            r#"value under "k" is a corrupt envelope: checksum mismatch"#,
        ),
        (
            Rejection::Decode { type_name: "shop.Product", message: "unexpected end".into() },
            "decode",
            r#"value under "k" did not decode as shop.Product: unexpected end"#,
        ),
    ];
    for (reason, name, message) in cases {
        assert_eq!(reason.as_str(), name);
        assert_eq!(rejected(reason).to_string(), message);
    }
    // The key is escaped as every other variant escapes it, so a hostile key cannot forge a log line.
    let hostile = Error::Rejected { key: Bytes::from_static(b"a\nb"), reason: Rejection::NotEnveloped { flags: 0 } };
    assert_eq!(hostile.to_string(), r#"value under "a\nb" is not a typed envelope (client flags 0x0)"#);
}
