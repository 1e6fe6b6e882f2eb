use std::fmt;

/// Bytes from the server (or, for the server-side parser, from a client) that do not follow the protocol.
///
/// After a protocol error the byte stream can no longer be trusted to be aligned on reply boundaries, so a
/// connection that sees one must be closed rather than reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    reason: &'static str,
    excerpt: String,
}

/// How many bytes of the offending input a [`ProtocolError`] keeps, for the message.
const EXCERPT_LEN: usize = 64;

impl ProtocolError {
    pub(crate) fn new(reason: &'static str, input: &[u8]) -> Self {
        let end = input.len().min(EXCERPT_LEN);
        Self { reason, excerpt: String::from_utf8_lossy(&input[..end]).escape_debug().to_string() }
    }

    /// What was wrong, e.g. `"unexpected reply line"`.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The start of the offending input, escaped for printing.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (input: \"{}\")", self.reason, self.excerpt)
    }
}

impl std::error::Error for ProtocolError {}
