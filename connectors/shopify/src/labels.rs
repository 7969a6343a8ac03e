//! Platform labels: none through the pinned API.
//!
//! The Admin GraphQL API 2025-01 has no query or mutation that buys or downloads a shipping
//! label: the schema's only label types (`ReverseDeliveryLabelInput`, `ReverseDeliveryLabelV2`)
//! describe return labels the merchant attaches to a reverse delivery, and Shopify Shipping
//! labels are bought in the admin. `shippingLabelPurchase` only arrives with API 2026-07
//! (shopify.md section 5), so `capabilities().platform_labels` is false and the OMS assigns
//! these orders a warehouse channel, whose tracking number `upload_tracking` sends back.

use core_model::{Label, LabelSpec, MarketplaceError, Operation, PlatformOrder};

pub const NO_LABEL_API: &str = "Shopify's Admin GraphQL API 2025-01 offers no shipping-label \
purchase or download (shippingLabelPurchase exists from 2026-07 only); use a warehouse \
shipping channel and upload the tracking number";

pub fn fetch_label(_order: &PlatformOrder, _spec: &LabelSpec) -> Result<Label, MarketplaceError> {
    Err(MarketplaceError::unsupported(NO_LABEL_API).with_operation(Operation::FetchLabel))
}
