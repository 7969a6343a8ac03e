//! Platform labels: none. The store API's order family (注文に関するAPI, listed in
//! https://developer.yahoo.co.jp/webapi/shopping/ordersapiguide.html: orderCount, orderList,
//! orderInfo, orderStatusChange, orderPayStatusChange, orderShipStatusChange, orderChange,
//! orderChangeHistory, orderSplit, orderItemAdd, orderCouponCancel, orderPayNumber) has no call
//! that issues or downloads a shipping label; stores print labels in the carriers' own systems
//! (Yamato B2, Sagawa, Japan Post). `capabilities().platform_labels` is false, so the OMS gives
//! these orders a warehouse channel, whose tracking number `upload_tracking` sends back.

use core_model::{Label, LabelSpec, MarketplaceError, Operation, PlatformOrder};

pub const NO_LABEL_API: &str = "Yahoo! Shopping's store API issues no shipping labels \
(ordersapiguide.html lists no label call); use a warehouse shipping channel and upload the \
tracking number";

pub fn fetch_label(_order: &PlatformOrder, _spec: &LabelSpec) -> Result<Label, MarketplaceError> {
    Err(MarketplaceError::unsupported(NO_LABEL_API).with_operation(Operation::FetchLabel))
}
