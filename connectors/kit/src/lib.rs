//! The HTTP stack every omsync connector uses, layered outermost first:
//! retry budget ([`retry`]) -> rate limiter ([`limit`]) -> auth ([`token`], [`sign`]) ->
//! timeout -> transport (`reqwest`) -> the connector's [`ResponseClassifier`].
//!
//! Connectors translate; the kit behaves. A connector declares its endpoint classes and
//! quotas, builds [`ApiRequest`]s, and classifies responses in one `parse_error`; it never
//! sleeps, retries or limits by itself.

pub mod cursor;
pub mod factory;
pub mod fixture;
pub mod hosts;
pub mod http;
pub mod ids;
pub mod limit;
pub mod oauth;
pub mod record;
pub mod retry;
pub mod sign;
pub mod telemetry;
pub mod token;

pub use factory::{
    parse_credentials, ConfigError, ConnectorFactory, ConnectorOptions, CredentialKey,
    MockRejection, WireRequest,
};
pub use hosts::Hosts;
pub use http::{
    decode_json, default_client, ApiRequest, Authorizer, Body, CallCounts, CallStats, HttpClient,
    RawResponse, ResponseClassifier, Transport,
};
pub use limit::RateLimits;
pub use record::Recorder;
pub use retry::RetryConfig;
pub use token::{
    AccessToken, HeaderTokenAuth, RequestSigner, SignedAuth, TokenCache, TokenGrant, TokenSink,
    TokenSource,
};

pub use secrecy::{ExposeSecret, SecretString};
