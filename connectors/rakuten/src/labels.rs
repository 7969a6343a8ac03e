//! Platform labels: none. The RakutenPay Order API (`es/2.0/order`) has no label or waybill
//! endpoint (its function list: searchOrder, getOrder, confirmOrder, updateOrderShipping(Async),
//! getResultUpdateOrderShippingAsync, updateOrderDelivery/Orderer/Remarks/Sender/Memo/SubStatus,
//! cancelOrder(AfterShipping), getPayment, getSubStatusList, simulateCouponAmount; rakuten.md
//! section 5). Shops print labels in the carriers' own systems and report the tracking number
//! back with `updateOrderShipping`, so `capabilities().platform_labels` is false and the OMS
//! ships these orders on a warehouse channel.

use core_model::{Label, LabelSpec, MarketplaceError, Operation, PlatformOrder};

pub const NO_LABEL_API: &str = "Rakuten's RMS RakutenPay Order API has no shipping-label \
endpoint (labels are printed in the carrier's own system); use a warehouse shipping channel and \
upload the tracking number";

pub fn fetch_label(_order: &PlatformOrder, _spec: &LabelSpec) -> Result<Label, MarketplaceError> {
    Err(MarketplaceError::unsupported(NO_LABEL_API).with_operation(Operation::FetchLabel))
}
