//! The daemon's [`ConnectorSource`]: every registered connector factory, with the per-platform
//! base-URL overrides from the config (sandboxes, local mocks).

use std::collections::HashMap;
use std::sync::Arc;

use connector_kit::{CallStats, ConnectorOptions, TokenSink};
use core_model::{Marketplace, Platform, StoreRef};
use url::Url;

use super::ConnectorSource;
use crate::registry;

#[derive(Debug, Clone, Default)]
pub struct RegistrySource {
    pub base_urls: HashMap<Platform, Url>,
    /// Enforce each connector's declared quotas (off only against local mocks).
    pub rate_limits: bool,
}

impl ConnectorSource for RegistrySource {
    fn build(
        &self,
        store: StoreRef,
        credentials: &serde_json::Value,
        sink: Arc<dyn TokenSink>,
        stats: Arc<CallStats>,
    ) -> anyhow::Result<Arc<dyn Marketplace>> {
        let factory = registry::factory(store.platform)?;
        let options = ConnectorOptions {
            base_url: self.base_urls.get(&store.platform).cloned(),
            token_sink: Some(sink),
            stats: Some(stats),
            rate_limits: self.rate_limits,
            ..ConnectorOptions::default()
        };
        Ok(factory.build(store, credentials, options)?)
    }
}
