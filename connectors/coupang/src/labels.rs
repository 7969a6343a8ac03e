//! Platform labels: none for Korea.
//!
//! The Wing Open API has no label or waybill-printing endpoint for seller-delivered ("업체배송")
//! orders: the seller books the parcel with its own courier contract and only uploads the
//! courier code and waybill number (`POST .../orders/invoices`, tracking.rs). No label or print
//! article exists among the Korean developer-portal help articles, and the "Uploading Waybills"
//! article is the only shipping step
//! (<https://developers.coupangcorp.com/hc/en-us/articles/360033793014-Uploading-Waybills>).
//! The `directIntegration/arrangeShipment` and `downloadInvoices` endpoints print waybills for
//! Taiwan's integrated couriers (TWL_FM, TWL_711, TWL_KERRY) only, which this connector does not
//! serve. So `capabilities().platform_labels` is false and the OMS assigns these orders a
//! warehouse shipping channel.

use core_model::{Label, LabelSpec, MarketplaceError, Operation, PlatformOrder};

pub const NO_LABEL_API: &str = "Coupang's Wing Open API has no shipping-label endpoint for \
Korean seller-delivered orders (the seller books its own courier and uploads the waybill); \
use a warehouse shipping channel and upload the tracking number";

pub fn fetch_label(_order: &PlatformOrder, _spec: &LabelSpec) -> Result<Label, MarketplaceError> {
    Err(MarketplaceError::unsupported(NO_LABEL_API).with_operation(Operation::FetchLabel))
}
