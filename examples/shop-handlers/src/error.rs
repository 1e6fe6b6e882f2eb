//! The shop's errors, each with a stable machine-readable code and an HTTP status.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{CustomerId, ProductId};

/// Every error code the API answers with. Clients act on these, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: an ID in the path or body is malformed or has another type's prefix.
    InvalidId,
    /// 400: the body is not JSON, or a field is missing, mistyped or out of its bounds.
    InvalidBody,
    /// 400: an amount is negative, fractional or larger than 2^53 - 1.
    InvalidAmount,
    /// 402: the customer's credits do not cover the price.
    InsufficientCredits,
    /// 404: no customer has this ID.
    CustomerNotFound,
    /// 404: no product has this ID.
    ProductNotFound,
    /// 404: no route matches the path.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 408: the body did not arrive within the server's body read timeout (a client sending too slowly).
    RequestTimeout,
    /// 413: the body is larger than the limit (64 KiB).
    PayloadTooLarge,
    /// 503: the store cannot be reached; retry later.
    StoreUnavailable,
    /// 503: the store stayed busy with concurrent transactions through every retry; nothing was written, retry
    /// later.
    StoreBusy,
    /// 500: a fault on the server's side (never caused by input).
    InternalError,
}

impl ErrorCode {
    /// The code as it appears in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidId => "invalid_id",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidAmount => "invalid_amount",
            ErrorCode::InsufficientCredits => "insufficient_credits",
            ErrorCode::CustomerNotFound => "customer_not_found",
            ErrorCode::ProductNotFound => "product_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::StoreUnavailable => "store_unavailable",
            ErrorCode::StoreBusy => "store_busy",
            ErrorCode::InternalError => "internal_error",
        }
    }
}

/// The JSON body of every error response: `{"error":{"code":"...","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable explanation; its wording may change.
    pub message: String,
}

impl ErrorBody {
    /// A body with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { error: ErrorDetail { code, message: message.into() } }
    }
}

/// Why a handler refused or failed a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShopError {
    /// A malformed ID, or another type's ID.
    #[error("{0}")]
    InvalidId(#[from] typed_ids::Error),
    /// The body is not what the endpoint takes.
    #[error("invalid body: {message}")]
    InvalidBody {
        /// What is wrong with it.
        message: String,
    },
    /// An amount out of bounds.
    #[error("`{field}` {problem}; amounts are whole numbers from 0 to 9007199254740991")]
    InvalidAmount {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The customer cannot afford the product.
    #[error("customer {customer} has {balance} credits; the product costs {price}")]
    InsufficientCredits {
        /// The customer.
        customer: CustomerId,
        /// Their balance.
        balance: u64,
        /// The price.
        price: u64,
    },
    /// No such customer.
    #[error("no customer {0}")]
    CustomerNotFound(CustomerId),
    /// No such product.
    #[error("no product {0}")]
    ProductNotFound(ProductId),
    /// The store failed; nothing was written.
    #[error("the store is unavailable; nothing was written, retry later")]
    StoreUnavailable,
    /// Every attempt of the transaction lost a race with concurrent ones
    /// ([`StoreError::Conflict`](effects::StoreError::Conflict)); nothing was written.
    #[error("the store is busy with concurrent requests; nothing was written, retry later")]
    StoreBusy,
    /// Stored data did not decode: a bug or a bad migration, never the request's fault.
    #[error("internal error")]
    Internal,
}

impl ShopError {
    /// The stable code.
    #[must_use]
    pub fn error_code(&self) -> ErrorCode {
        match self {
            ShopError::InvalidId(_) => ErrorCode::InvalidId,
            ShopError::InvalidBody { .. } => ErrorCode::InvalidBody,
            ShopError::InvalidAmount { .. } => ErrorCode::InvalidAmount,
            ShopError::InsufficientCredits { .. } => ErrorCode::InsufficientCredits,
            ShopError::CustomerNotFound(_) => ErrorCode::CustomerNotFound,
            ShopError::ProductNotFound(_) => ErrorCode::ProductNotFound,
            ShopError::StoreUnavailable => ErrorCode::StoreUnavailable,
            ShopError::StoreBusy => ErrorCode::StoreBusy,
            ShopError::Internal => ErrorCode::InternalError,
        }
    }

    /// The stable code as text (`"insufficient_credits"`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The HTTP status that carries this error.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            ShopError::InvalidId(_) | ShopError::InvalidBody { .. } | ShopError::InvalidAmount { .. } => 400,
            ShopError::InsufficientCredits { .. } => 402,
            ShopError::CustomerNotFound(_) | ShopError::ProductNotFound(_) => 404,
            ShopError::StoreUnavailable | ShopError::StoreBusy => 503,
            ShopError::Internal => 500,
        }
    }

    /// The JSON body for this error.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.error_code(), self.to_string())
    }
}

impl From<effects::StoreError> for ShopError {
    fn from(err: effects::StoreError) -> Self {
        if err.is_retryable() {
            ShopError::StoreBusy
        } else if err.is_unavailable() {
            ShopError::StoreUnavailable
        } else {
            ShopError::Internal
        }
    }
}
