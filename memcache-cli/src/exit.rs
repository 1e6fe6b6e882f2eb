//! Exit codes and how each outcome is reported.

use std::process::ExitCode;

use memcache_client::Error;

pub(crate) const HELP: &str = "Exit codes: 0 success, 1 miss (key not found), 2 invalid input, 3 not stored, \
4 server error reply, 5 timeout, 6 connection or protocol failure.";

const MISS: u8 = 1;
const INVALID: u8 = 2;
const NOT_STORED: u8 = 3;
const SERVER_ERROR: u8 = 4;
const TIMEOUT: u8 = 5;
const CONNECTION: u8 = 6;

/// A command that ran to the end, successfully or with a normal negative outcome.
pub(crate) enum Outcome {
    Done,
    Miss(String),
    NotStored(String, &'static str),
}

impl Outcome {
    pub(crate) fn report(self) -> ExitCode {
        match self {
            Outcome::Done => ExitCode::SUCCESS,
            Outcome::Miss(key) => {
                eprintln!("memc: {key:?}: not found");
                ExitCode::from(MISS)
            }
            Outcome::NotStored(key, why) => {
                eprintln!("memc: {key:?}: {why}");
                ExitCode::from(NOT_STORED)
            }
        }
    }
}

/// A failure, with the exit code it maps to.
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub(crate) fn invalid(message: String) -> Self {
        Self { code: INVALID, message }
    }

    pub(crate) fn connection(message: String) -> Self {
        Self { code: CONNECTION, message }
    }

    pub(crate) fn report(self) -> ExitCode {
        eprintln!("memc: {}", self.message);
        ExitCode::from(self.code)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = if error.is_invalid_input() || matches!(error, Error::InvalidAddress { .. }) {
            INVALID
        } else if error.is_timeout() {
            TIMEOUT
        } else if error.is_server_reply() {
            SERVER_ERROR
        } else {
            CONNECTION
        };
        Self { code, message: error.to_string() }
    }
}
