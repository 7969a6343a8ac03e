//! The one error every connector returns, classified into kinds the caller can act on.

use std::fmt;
use std::time::Duration;

use crate::platform::Platform;

/// What the caller should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The platform throttled us; wait `retry_after` (or back off) and try again.
    RateLimited,
    /// Credentials were refused: refresh the token, or the seller must re-authorize.
    Unauthorized,
    /// A network fault, timeout or 5xx: retrying may succeed.
    Transient,
    /// The platform rejected the request; retrying the same request cannot succeed.
    Permanent,
    /// The platform answered with a payload we cannot read. Keep the raw bytes, flag, move on.
    Malformed,
    /// The platform or this connector does not offer the operation.
    Unsupported,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Transient => "transient",
            ErrorKind::Permanent => "permanent",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Unsupported => "unsupported",
        }
    }

    /// True when the same request may succeed later without any change.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::RateLimited | ErrorKind::Transient)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The operation an error happened in; attached once, where the connector starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    PullOrders,
    FetchLabel,
    UploadTracking,
    RefreshToken,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::PullOrders => "pull_orders",
            Operation::FetchLabel => "fetch_label",
            Operation::UploadTracking => "upload_tracking",
            Operation::RefreshToken => "refresh_token",
        }
    }
}

/// An error from a marketplace call. Messages are built from the platform's own error code
/// and text, never from request parameters, so they carry no token, key or signature.
#[derive(Debug, thiserror::Error)]
pub struct MarketplaceError {
    kind: ErrorKind,
    message: String,
    platform: Option<Platform>,
    operation: Option<Operation>,
    /// The platform's error code (`QuotaExceeded`, `error_auth`, ...).
    code: Option<String>,
    /// HTTP status, when the error came from a response.
    status: Option<u16>,
    /// The platform's request id, for its support desk.
    request_id: Option<String>,
    retry_after: Option<Duration>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl MarketplaceError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        MarketplaceError {
            kind,
            message: message.into(),
            platform: None,
            operation: None,
            code: None,
            status: None,
            request_id: None,
            retry_after: None,
            source: None,
        }
    }

    pub fn rate_limited(retry_after: Option<Duration>, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorKind::RateLimited, message);
        e.retry_after = retry_after;
        e
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, message)
    }
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Permanent, message)
    }
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, message)
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }
    pub fn with_operation(mut self, operation: Operation) -> Self {
        self.operation.get_or_insert(operation);
        self
    }
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn platform(&self) -> Option<Platform> {
        self.platform
    }
    pub fn operation(&self) -> Option<Operation> {
        self.operation
    }
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    pub fn status(&self) -> Option<u16> {
        self.status
    }
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for MarketplaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.platform {
            write!(f, "{p} ")?;
        }
        if let Some(op) = self.operation {
            write!(f, "{} ", op.as_str())?;
        }
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(code) = &self.code {
            write!(f, " [code {code}]")?;
        }
        if let Some(status) = self.status {
            write!(f, " [http {status}]")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        if let Some(ra) = self.retry_after {
            write!(f, " [retry after {}ms]", ra.as_millis())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_context_once() {
        let e = MarketplaceError::rate_limited(Some(Duration::from_secs(2)), "quota exceeded")
            .with_platform(Platform::Amazon)
            .with_operation(Operation::PullOrders)
            .with_operation(Operation::FetchLabel)
            .with_code("QuotaExceeded")
            .with_status(429)
            .with_request_id("abc");
        assert_eq!(
            e.to_string(),
            "amazon pull_orders rate_limited: quota exceeded [code QuotaExceeded] [http 429] [request id abc] [retry after 2000ms]"
        );
        assert!(e.kind().is_retryable());
        assert!(!ErrorKind::Permanent.is_retryable());
    }
}
