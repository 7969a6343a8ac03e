//! Mark as shipped: read the order's fulfillment orders, then `fulfillmentCreate` (2025-01:
//! `fulfillment: FulfillmentInput!` with `lineItemsByFulfillmentOrder` and `trackingInfo`) for
//! the shipment's lines, one call per assigned location (Shopify requires every fulfillment
//! order of one call to share a location).
//!
//! A repeat is success: when one of the order's fulfillments already carries the tracking
//! number, or nothing of the shipment's lines is left open (Shopify closed the fulfillment
//! orders), or `fulfillmentCreate` answers the userError Shopify gives a closed fulfillment
//! order ("Fulfillment order <id> has an unfulfillable status= closed."), the upload reports
//! `already_confirmed: true`.
//! <https://shopify.dev/docs/api/admin-graphql/2025-01/mutations/fulfillmentCreate>

use std::collections::BTreeMap;

use core_model::{MarketplaceError, Operation, Shipment, ShipmentLine, TrackingAck};
use serde_json::json;

use crate::model::{
    FulfillmentCreateData, FulfillmentInput, FulfillmentOrder, FulfillmentOrderLineItem,
    FulfillmentOrderLineItemInput, FulfillmentOrderLineItemsInput, FulfillmentOrderLinesData,
    FulfillmentOrdersData, FulfillmentState, FulfillmentTrackingInput, UserError,
};
use crate::orders::gid_tail;
use crate::ShopifyConnector;

/// The order's fulfillments (to spot a repeat) and its fulfillment orders with their line
/// items: 1 + 20 x (1 + 5) + 1 + 2 + 5 x (3 + 1 + 2 + 50 x 2) = 654 requested points.
pub const FULFILLMENT_ORDERS_QUERY: &str =
    "query OrderFulfillmentOrders($id: ID!, $after: String) {
  order(id: $id) {
    id cancelledAt
    fulfillments(first: 20) { id status trackingInfo(first: 5) { company number } }
    fulfillmentOrders(first: 5, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: 50) {
          pageInfo { hasNextPage endCursor }
          nodes { id remainingQuantity totalQuantity sku lineItem { id sku } }
        }
      }
    }
  }
}
";

/// The line items of one fulfillment order after `$after` (1 + 1 + 2 + 100 x 2 = 204 points).
pub const FULFILLMENT_ORDER_LINES_QUERY: &str =
    "query FulfillmentOrderLineItems($id: ID!, $after: String) {
  fulfillmentOrder(id: $id) {
    lineItems(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id remainingQuantity totalQuantity sku lineItem { id sku } }
    }
  }
}
";

pub const FULFILLMENT_CREATE_MUTATION: &str =
    "mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
";

/// Fulfillment order statuses Shopify accepts a fulfillment for.
const FULFILLABLE: [&str; 2] = ["OPEN", "IN_PROGRESS"];

/// The userError text Shopify gives for a fulfillment order that is already closed.
const CLOSED_FULFILLMENT_ORDER: &str = "unfulfillable status= closed";

pub async fn upload_tracking(
    c: &ShopifyConnector,
    shipment: &Shipment,
) -> Result<TrackingAck, MarketplaceError> {
    let number = shipment.tracking_number.trim();
    if number.is_empty() {
        return Err(MarketplaceError::permanent(
            "the shipment has no tracking number",
        ));
    }
    let order_id = gid("Order", &shipment.platform_order_id);
    let state = fulfillment_state(c, &order_id).await?;
    let tracked = state.fulfillments.iter().any(|f| {
        f.status != "CANCELLED"
            && f.tracking_info
                .iter()
                .any(|t| t.number.as_deref().map(str::trim) == Some(number))
    });
    if tracked {
        return Ok(TrackingAck {
            already_confirmed: true,
        });
    }
    if state.cancelled_at.is_some() {
        return Err(MarketplaceError::permanent(
            "the order was cancelled on Shopify; there is nothing to fulfil",
        ));
    }
    let groups = match plan(&state.fulfillment_orders.nodes, &shipment.lines) {
        Plan::Ship(groups) => groups,
        Plan::AlreadyShipped => {
            return Ok(TrackingAck {
                already_confirmed: true,
            })
        }
        Plan::Blocked(status) => {
            return Err(MarketplaceError::permanent(format!(
                "the shipment's lines are on a fulfillment order that is {status}; Shopify \
                 accepts fulfillments only for OPEN or IN_PROGRESS ones"
            )))
        }
    };
    let mut repeats = 0;
    let total = groups.len();
    for group in groups {
        let input = FulfillmentInput {
            line_items_by_fulfillment_order: group,
            tracking_info: FulfillmentTrackingInput {
                company: [Some(&shipment.carrier_code), shipment.carrier_name.as_ref()]
                    .into_iter()
                    .flatten()
                    .map(|c| c.trim())
                    .find(|c| !c.is_empty())
                    .map(str::to_owned),
                number: number.to_owned(),
            },
            // What the Shopify admin does by default when a merchant marks an order shipped.
            notify_customer: true,
        };
        if create_fulfillment(c, input).await? {
            repeats += 1;
        }
    }
    Ok(TrackingAck {
        already_confirmed: repeats == total,
    })
}

/// `fulfillmentCreate`; `Ok(true)` when Shopify says the fulfillment order is already closed.
async fn create_fulfillment(
    c: &ShopifyConnector,
    input: FulfillmentInput,
) -> Result<bool, MarketplaceError> {
    let data: FulfillmentCreateData = c
        .graphql(
            Operation::UploadTracking,
            "FulfillmentCreate",
            FULFILLMENT_CREATE_MUTATION,
            json!({ "fulfillment": input }),
        )
        .await?;
    let payload = data
        .fulfillment_create
        .ok_or_else(|| MarketplaceError::malformed("fulfillmentCreate answered null"))?;
    if payload.user_errors.is_empty() {
        return match payload.fulfillment {
            Some(f) => {
                tracing::info!(platform = "shopify", fulfillment = gid_tail(&f.id), status = %f.status,
                    "fulfillment created");
                Ok(false)
            }
            None => Err(MarketplaceError::malformed(
                "fulfillmentCreate answered neither a fulfillment nor userErrors",
            )),
        };
    }
    already_closed(&payload.user_errors)
}

/// Success for the "already closed" answer, a permanent error for any other userError.
fn already_closed(errors: &[UserError]) -> Result<bool, MarketplaceError> {
    if errors.iter().all(|e| {
        e.message
            .to_ascii_lowercase()
            .contains(CLOSED_FULFILLMENT_ORDER)
    }) {
        return Ok(true);
    }
    let text = errors
        .iter()
        .map(|e| match &e.field {
            Some(f) if !f.is_empty() => format!("{}: {}", f.join("."), e.message),
            _ => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    Err(MarketplaceError::permanent(text).with_code("userErrors"))
}

/// The order's fulfillments and all of its fulfillment orders with all of their line items.
async fn fulfillment_state(
    c: &ShopifyConnector,
    order_id: &str,
) -> Result<FulfillmentState, MarketplaceError> {
    let mut state: Option<FulfillmentState> = None;
    let mut after: Option<String> = None;
    loop {
        let data: FulfillmentOrdersData = c
            .graphql(
                Operation::UploadTracking,
                "OrderFulfillmentOrders",
                FULFILLMENT_ORDERS_QUERY,
                json!({ "id": order_id, "after": after }),
            )
            .await?;
        let page = data.order.ok_or_else(|| {
            MarketplaceError::permanent(format!("Shopify has no order {}", gid_tail(order_id)))
        })?;
        let info = page.fulfillment_orders.page_info.clone();
        match &mut state {
            None => state = Some(page),
            Some(s) => s
                .fulfillment_orders
                .nodes
                .extend(page.fulfillment_orders.nodes),
        }
        after = match (info.has_next_page, info.end_cursor) {
            (true, Some(cursor)) if !cursor.is_empty() => Some(cursor),
            _ => break,
        };
    }
    let mut state = state.ok_or_else(|| MarketplaceError::malformed("no fulfillment orders"))?;
    for fo in &mut state.fulfillment_orders.nodes {
        let mut info = fo.line_items.page_info.clone();
        while info.has_next_page {
            let Some(after) = info.end_cursor.clone().filter(|c| !c.is_empty()) else {
                break;
            };
            let data: FulfillmentOrderLinesData = c
                .graphql(
                    Operation::UploadTracking,
                    "FulfillmentOrderLineItems",
                    FULFILLMENT_ORDER_LINES_QUERY,
                    json!({ "id": fo.id, "after": after }),
                )
                .await?;
            let lines = data
                .fulfillment_order
                .ok_or_else(|| MarketplaceError::malformed("a fulfillment order vanished"))?
                .line_items;
            fo.line_items.nodes.extend(lines.nodes);
            info = lines.page_info;
        }
    }
    Ok(state)
}

/// What to send for a shipment.
#[derive(Debug, PartialEq)]
enum Plan {
    /// One `lineItemsByFulfillmentOrder` list per assigned location.
    Ship(Vec<Vec<FulfillmentOrderLineItemsInput>>),
    /// Nothing of the shipment's lines is left to fulfil.
    AlreadyShipped,
    /// The lines wait on a fulfillment order Shopify will not fulfil now (`ON_HOLD`, ...).
    Blocked(String),
}

/// Allocate the shipment's lines to the open fulfillment order line items that hold them
/// (matched by line item id, else by SKU). No lines means everything still open.
fn plan(fos: &[FulfillmentOrder], lines: &[ShipmentLine]) -> Plan {
    let fulfillable = |fo: &FulfillmentOrder| FULFILLABLE.contains(&fo.status.as_str());
    // Per fulfillment order (in Shopify's order): the allocated (line id, quantity) pairs.
    let mut chosen: Vec<(usize, Vec<FulfillmentOrderLineItemInput>)> = Vec::new();
    let mut blocked: Option<String> = None;

    if lines.is_empty() {
        for (i, fo) in fos.iter().enumerate() {
            let open = fo.line_items.nodes.iter().any(|l| l.remaining_quantity > 0);
            if open && fulfillable(fo) {
                chosen.push((i, Vec::new()));
            } else if open {
                blocked.get_or_insert_with(|| fo.status.clone());
            }
        }
    } else {
        let mut left: BTreeMap<(usize, usize), i64> = BTreeMap::new();
        for line in lines {
            let mut need = i64::from(line.quantity);
            for (i, fo) in fos.iter().enumerate() {
                for (j, item) in fo.line_items.nodes.iter().enumerate() {
                    if need == 0 || !holds(item, line) {
                        continue;
                    }
                    let remaining = left.entry((i, j)).or_insert(item.remaining_quantity);
                    if *remaining <= 0 {
                        continue;
                    }
                    if !fulfillable(fo) {
                        blocked.get_or_insert_with(|| fo.status.clone());
                        continue;
                    }
                    let take = need.min(*remaining);
                    *remaining -= take;
                    need -= take;
                    let slot = match chosen.iter().position(|(k, _)| *k == i) {
                        Some(p) => p,
                        None => {
                            chosen.push((i, Vec::new()));
                            chosen.len() - 1
                        }
                    };
                    let items = &mut chosen[slot].1;
                    match items.iter_mut().find(|x| x.id == item.id) {
                        Some(x) => x.quantity += take,
                        None => items.push(FulfillmentOrderLineItemInput {
                            id: item.id.clone(),
                            quantity: take,
                        }),
                    }
                }
            }
        }
    }
    if chosen.is_empty() {
        return match blocked {
            Some(status) => Plan::Blocked(status),
            None => Plan::AlreadyShipped,
        };
    }
    let mut by_location: Vec<(Option<String>, Vec<FulfillmentOrderLineItemsInput>)> = Vec::new();
    for (i, items) in chosen {
        let fo = &fos[i];
        let location = fo.assigned_location.location.as_ref().map(|l| l.id.clone());
        let input = FulfillmentOrderLineItemsInput {
            fulfillment_order_id: fo.id.clone(),
            fulfillment_order_line_items: (!items.is_empty()).then_some(items),
        };
        match by_location
            .iter_mut()
            .find(|(l, _)| l.is_some() && *l == location)
        {
            Some((_, group)) => group.push(input),
            None => by_location.push((location, vec![input])),
        }
    }
    Plan::Ship(by_location.into_iter().map(|(_, g)| g).collect())
}

/// Whether a fulfillment order line item is the shipment line's order line.
fn holds(item: &FulfillmentOrderLineItem, line: &ShipmentLine) -> bool {
    match line
        .line_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) => gid_tail(&item.line_item.id) == gid_tail(id),
        None => {
            let sku = line.platform_sku.trim();
            !sku.is_empty()
                && [item.sku.as_deref(), item.line_item.sku.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|s| s.trim() == sku)
        }
    }
}

/// The global id of a resource given by its numeric id (or already a global id).
pub fn gid(kind: &str, id: &str) -> String {
    let id = id.trim();
    if id.starts_with("gid://") {
        id.to_owned()
    } else {
        format!("gid://shopify/{kind}/{id}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{AssignedLocation, Connection, FoLineItemRef, Node, PageInfo};

    fn item(id: u64, line: u64, sku: &str, remaining: i64) -> FulfillmentOrderLineItem {
        FulfillmentOrderLineItem {
            id: format!("gid://shopify/FulfillmentOrderLineItem/{id}"),
            remaining_quantity: remaining,
            total_quantity: remaining.max(1),
            sku: Some(sku.to_owned()),
            line_item: FoLineItemRef {
                id: format!("gid://shopify/LineItem/{line}"),
                sku: Some(sku.to_owned()),
            },
        }
    }

    fn fo(
        id: u64,
        status: &str,
        location: u64,
        items: Vec<FulfillmentOrderLineItem>,
    ) -> FulfillmentOrder {
        FulfillmentOrder {
            id: format!("gid://shopify/FulfillmentOrder/{id}"),
            status: status.to_owned(),
            assigned_location: AssignedLocation {
                location: Some(Node {
                    id: format!("gid://shopify/Location/{location}"),
                }),
            },
            line_items: Connection {
                page_info: PageInfo::default(),
                nodes: items,
            },
        }
    }

    fn line(line_id: Option<&str>, sku: &str, quantity: u32) -> ShipmentLine {
        ShipmentLine {
            line_id: line_id.map(str::to_owned),
            platform_sku: sku.to_owned(),
            quantity,
        }
    }

    fn fo_items(id: u64, items: &[(u64, i64)]) -> FulfillmentOrderLineItemsInput {
        FulfillmentOrderLineItemsInput {
            fulfillment_order_id: format!("gid://shopify/FulfillmentOrder/{id}"),
            fulfillment_order_line_items: Some(
                items
                    .iter()
                    .map(|(i, q)| FulfillmentOrderLineItemInput {
                        id: format!("gid://shopify/FulfillmentOrderLineItem/{i}"),
                        quantity: *q,
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn allocates_by_line_id_then_sku_and_groups_by_location() {
        let fos = vec![
            fo(
                1,
                "OPEN",
                10,
                vec![item(11, 101, "TEE", 2), item(12, 102, "MUG", 1)],
            ),
            fo(2, "IN_PROGRESS", 10, vec![item(21, 103, "CAP", 1)]),
            fo(3, "OPEN", 20, vec![item(31, 101, "TEE", 1)]),
        ];
        let p = plan(
            &fos,
            &[
                line(Some("101"), "TEE", 3),
                line(None, "CAP", 1),
                line(Some("gid://shopify/LineItem/102"), "", 1),
            ],
        );
        assert_eq!(
            p,
            Plan::Ship(vec![
                vec![fo_items(1, &[(11, 2), (12, 1)]), fo_items(2, &[(21, 1)])],
                vec![fo_items(3, &[(31, 1)])],
            ])
        );
    }

    #[test]
    fn closed_on_hold_and_empty_lines() {
        let closed = vec![fo(1, "CLOSED", 10, vec![item(11, 101, "TEE", 0)])];
        assert_eq!(
            plan(&closed, &[line(Some("101"), "TEE", 1)]),
            Plan::AlreadyShipped
        );
        assert_eq!(plan(&closed, &[]), Plan::AlreadyShipped);
        let held = vec![fo(1, "ON_HOLD", 10, vec![item(11, 101, "TEE", 1)])];
        assert_eq!(
            plan(&held, &[line(Some("101"), "TEE", 1)]),
            Plan::Blocked("ON_HOLD".into())
        );
        assert_eq!(plan(&held, &[]), Plan::Blocked("ON_HOLD".into()));
        let open = vec![fo(1, "OPEN", 10, vec![item(11, 101, "TEE", 1)])];
        assert_eq!(
            plan(&open, &[]),
            Plan::Ship(vec![vec![FulfillmentOrderLineItemsInput {
                fulfillment_order_id: "gid://shopify/FulfillmentOrder/1".into(),
                fulfillment_order_line_items: None,
            }]])
        );
    }

    #[test]
    fn the_closed_user_error_is_a_repeat() {
        let closed = [UserError {
            field: Some(vec!["fulfillment".into()]),
            message: "Fulfillment order 6612345678901 has an unfulfillable status= closed.".into(),
        }];
        assert!(already_closed(&closed).unwrap());
        let other = [UserError {
            field: Some(vec!["fulfillment".into()]),
            message: "Invalid fulfillment order line item quantity requested.".into(),
        }];
        let e = already_closed(&other).unwrap_err();
        assert_eq!(e.kind(), core_model::ErrorKind::Permanent);
        assert_eq!(
            e.message(),
            "fulfillment: Invalid fulfillment order line item quantity requested."
        );
    }

    #[test]
    fn global_ids() {
        assert_eq!(
            gid("Order", "5512345678901"),
            "gid://shopify/Order/5512345678901"
        );
        assert_eq!(
            gid("Order", "gid://shopify/Order/1"),
            "gid://shopify/Order/1"
        );
    }

    #[test]
    fn requested_query_costs_stay_under_the_single_query_limit() {
        assert_eq!(crate::cost::estimate(FULFILLMENT_ORDERS_QUERY, &[]), 654);
        assert_eq!(
            crate::cost::estimate(FULFILLMENT_ORDER_LINES_QUERY, &[]),
            204
        );
    }

    #[test]
    fn the_input_serializes_as_the_schema_names_it() {
        let input = FulfillmentInput {
            line_items_by_fulfillment_order: vec![fo_items(6612345678901, &[(13712345678901, 1)])],
            tracking_info: FulfillmentTrackingInput {
                company: Some("UPS".into()),
                number: "1Z999AA10123456784".into(),
            },
            notify_customer: true,
        };
        assert_eq!(
            serde_json::to_value(&input).unwrap(),
            json!({
                "lineItemsByFulfillmentOrder": [{
                    "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/6612345678901",
                    "fulfillmentOrderLineItems": [
                        {"id": "gid://shopify/FulfillmentOrderLineItem/13712345678901", "quantity": 1}
                    ]
                }],
                "trackingInfo": {"company": "UPS", "number": "1Z999AA10123456784"},
                "notifyCustomer": true
            })
        );
    }
}
