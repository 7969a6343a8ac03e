//! Wire types of the store order APIs, mirroring their XML element names exactly, read and
//! written with quick-xml's serde support. Every XML value is text, so leaves are `String`s;
//! numbers, amounts and times are parsed in the mapping (`orders.rs`), which names the field
//! that did not fit.
//!
//! Requests: `<Req>` documents (orderList.html, orderInfo.html, orderShipStatusChange.html).
//! Responses: `<Result>` (orderList), `<ResultSet><Result>` (orderInfo, the status changes) and
//! the common `<Error><Message/><Code/></Error>`. A single repeated element (one `<Item>`, one
//! `<OrderInfo>`) arrives as a single element, which quick-xml reads into a `Vec` all the same.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// One XML element read generically, for `PlatformOrder::raw`: text, or named children in
/// document order (attributes appear as `@name`, mixed text as `$text`, as quick-xml names
/// them).
pub enum Node {
    Text(String),
    Element(Vec<(String, Node)>),
}

// Order XML holds names, streets and phones: show the shape only.
impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text(t) => write!(f, "Node::Text({} bytes)", t.len()),
            Node::Element(c) => write!(f, "Node::Element({} children)", c.len()),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an XML element or text")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Text(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Node, E> {
                Ok(Node::Text(v))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Node, E> {
                Ok(Node::Text(String::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut children = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    children.push((name, map.next_value::<Node>()?));
                }
                Ok(Node::Element(children))
            }
        }
        d.deserialize_any(NodeVisitor)
    }
}

impl Node {
    /// The element as JSON: an element holding only text is that string, an empty element is
    /// `""`, repeated children become an array in document order.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        let children = match self {
            Node::Text(t) => return Value::String(t.clone()),
            Node::Element(children) => children,
        };
        match children.as_slice() {
            [] => return Value::String(String::new()),
            [(name, Node::Text(t))] if name == "$text" => return Value::String(t.clone()),
            _ => {}
        }
        let mut map = serde_json::Map::new();
        for (name, child) in children {
            let value = child.to_json();
            match map.get_mut(name) {
                // A child's own JSON is never an array: an array here holds earlier repeats.
                Some(Value::Array(items)) => items.push(value),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, value]);
                }
                None => {
                    map.insert(name.clone(), value);
                }
            }
        }
        Value::Object(map)
    }
}

/// The common error document of the Yahoo! JAPAN Web APIs (developer.yahoo.co.jp/appendix/
/// errors.html): `<Error><Message>...</Message><Code>px-04102</Code></Error>`. The message often
/// carries surrounding newlines.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "Message", default)]
    pub message: Option<String>,
    #[serde(rename = "Code", default)]
    pub code: Option<String>,
}

/// A response document told apart by its root element.
#[derive(Debug, Deserialize)]
pub enum Document<T> {
    /// orderList's root.
    Result(T),
    /// orderInfo's and the status changes' root.
    ResultSet(T),
    Error(ErrorBody),
    #[serde(other)]
    Other,
}

/// Any document, read generically (the classifier and `raw`).
pub type AnyDocument = Document<Node>;

/// `<ResultSet>` of the status-change APIs.
#[derive(Debug, Default, Deserialize)]
pub struct ChangeResultSet {
    #[serde(rename = "Result", default)]
    pub result: Option<Outcome>,
}

/// `<Status>` and the non-fatal `<Warning>`s of a status change's `<Result>`.
#[derive(Debug, Default, Deserialize)]
pub struct Outcome {
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    #[serde(rename = "Warning", default)]
    pub warnings: Vec<Node>,
}

// --- orderList -----------------------------------------------------------------------------

/// `<Req>` of orderList (注文検索API).
#[derive(Debug, Serialize)]
#[serde(rename = "Req")]
pub struct OrderListRequest<'a> {
    #[serde(rename = "Search")]
    pub search: Search<'a>,
    #[serde(rename = "SellerId")]
    pub seller_id: &'a str,
}

#[derive(Debug, Serialize)]
pub struct Search<'a> {
    /// Page size (default 10, no documented maximum).
    #[serde(rename = "Result")]
    pub result: u32,
    /// 1-based position of the first row.
    #[serde(rename = "Start")]
    pub start: u32,
    /// `+order_time` (ascending, the default) or `-order_time`.
    #[serde(rename = "Sort")]
    pub sort: &'a str,
    #[serde(rename = "Condition")]
    pub condition: Condition,
    /// Comma-separated output fields (required).
    #[serde(rename = "Field")]
    pub field: &'a str,
}

#[derive(Debug, Serialize)]
pub struct Condition {
    /// Order time from, JST `YYYYMMDDHHmmss`, inclusive.
    #[serde(rename = "OrderTimeFrom")]
    pub order_time_from: String,
    /// Order time to, JST `YYYYMMDDHHmmss`, inclusive.
    #[serde(rename = "OrderTimeTo")]
    pub order_time_to: String,
}

/// `<Result>` of orderList: `<Status>`, then `<Search><TotalCount/><OrderInfo/>...</Search>`.
#[derive(Debug, Deserialize)]
pub struct OrderListResult {
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    #[serde(rename = "Search", default)]
    pub search: Option<SearchResult>,
}

#[derive(Debug, Deserialize)]
pub struct SearchResult {
    #[serde(rename = "TotalCount")]
    pub total_count: String,
    /// One generic element per order, decoded one by one so one bad order spares the rest.
    #[serde(rename = "OrderInfo", default)]
    pub orders: Vec<Node>,
}

// --- orderInfo -----------------------------------------------------------------------------

/// `<Req>` of orderInfo (注文詳細API): one order per call.
#[derive(Debug, Serialize)]
#[serde(rename = "Req")]
pub struct OrderInfoRequest<'a> {
    #[serde(rename = "Target")]
    pub target: InfoTarget<'a>,
    #[serde(rename = "SellerId")]
    pub seller_id: &'a str,
}

#[derive(Debug, Serialize)]
pub struct InfoTarget<'a> {
    #[serde(rename = "OrderId")]
    pub order_id: &'a str,
    #[serde(rename = "Field")]
    pub field: &'a str,
}

/// `<ResultSet><Result>` of orderInfo.
#[derive(Debug, Deserialize)]
pub struct OrderInfoResultSet {
    #[serde(rename = "Result")]
    pub result: OrderInfoResult,
}

#[derive(Debug, Deserialize)]
pub struct OrderInfoResult {
    #[serde(rename = "Status", default)]
    pub status: Option<String>,
    #[serde(rename = "OrderInfo")]
    pub order: OrderInfo,
}

/// One order as orderInfo returns it: order-level fields directly inside, then the `<Pay>`,
/// `<Ship>`, `<Detail>` and `<Seller>` groups and one `<Item>` per line.
#[derive(Deserialize)]
pub struct OrderInfo {
    #[serde(rename = "OrderId")]
    pub order_id: String,
    #[serde(rename = "Version", default)]
    pub version: Option<String>,
    /// `2026-05-10T14:22:08+09:00`.
    #[serde(rename = "OrderTime", default)]
    pub order_time: Option<String>,
    #[serde(rename = "LastUpdateTime", default)]
    pub last_update_time: Option<String>,
    /// 1 予約中, 2 処理中, 3 保留, 4 キャンセル, 5 完了.
    #[serde(rename = "OrderStatus", default)]
    pub order_status: Option<String>,
    #[serde(rename = "StoreStatus", default)]
    pub store_status: Option<String>,
    #[serde(rename = "Pay", default)]
    pub pay: Option<Pay>,
    #[serde(rename = "Ship", default)]
    pub ship: Option<Ship>,
    #[serde(rename = "Detail", default)]
    pub detail: Option<Detail>,
    #[serde(rename = "Seller", default)]
    pub seller: Option<Seller>,
    #[serde(rename = "Item", default)]
    pub items: Vec<Item>,
}

// Buyer names and addresses stay out of Debug output.
impl fmt::Debug for OrderInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderInfo")
            .field("order_id", &self.order_id)
            .field("order_status", &self.order_status)
            .field("ship_status", &self.ship.as_ref().map(|s| &s.ship_status))
            .field("items", &self.items.len())
            .finish_non_exhaustive()
    }
}

/// `<Pay>`: payment and the bill-to (the buyer).
#[derive(Default, Deserialize)]
pub struct Pay {
    /// 0 入金待ち, 1 入金済み.
    #[serde(rename = "PayStatus", default)]
    pub pay_status: Option<String>,
    #[serde(rename = "PayMethod", default)]
    pub pay_method: Option<String>,
    #[serde(rename = "BillFirstName", default)]
    pub bill_first_name: Option<String>,
    #[serde(rename = "BillLastName", default)]
    pub bill_last_name: Option<String>,
}

impl fmt::Debug for Pay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pay")
            .field("pay_status", &self.pay_status)
            .field("pay_method", &self.pay_method)
            .finish_non_exhaustive()
    }
}

/// `<Ship>`: shipping status, tracking and the ship-to.
#[derive(Default, Deserialize)]
pub struct Ship {
    /// 0 出荷不可, 1 出荷可, 2 出荷処理中, 3 出荷済み, 4 着荷済み.
    #[serde(rename = "ShipStatus", default)]
    pub ship_status: Option<String>,
    #[serde(rename = "ShipMethod", default)]
    pub ship_method: Option<String>,
    #[serde(rename = "ShipCompanyCode", default)]
    pub ship_company_code: Option<String>,
    #[serde(rename = "ShipInvoiceNumber1", default)]
    pub ship_invoice_number1: Option<String>,
    #[serde(rename = "ShipInvoiceNumber2", default)]
    pub ship_invoice_number2: Option<String>,
    #[serde(rename = "ShipDate", default)]
    pub ship_date: Option<String>,
    #[serde(rename = "ShipFirstName", default)]
    pub ship_first_name: Option<String>,
    #[serde(rename = "ShipLastName", default)]
    pub ship_last_name: Option<String>,
    #[serde(rename = "ShipZipCode", default)]
    pub ship_zip_code: Option<String>,
    #[serde(rename = "ShipPrefecture", default)]
    pub ship_prefecture: Option<String>,
    #[serde(rename = "ShipCity", default)]
    pub ship_city: Option<String>,
    #[serde(rename = "ShipAddress1", default)]
    pub ship_address1: Option<String>,
    #[serde(rename = "ShipAddress2", default)]
    pub ship_address2: Option<String>,
    #[serde(rename = "ShipPhoneNumber", default)]
    pub ship_phone_number: Option<String>,
}

impl fmt::Debug for Ship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ship")
            .field("ship_status", &self.ship_status)
            .field("ship_prefecture", &self.ship_prefecture)
            .finish_non_exhaustive()
    }
}

/// `<Detail>`: the order's amounts in yen.
#[derive(Debug, Default, Deserialize)]
pub struct Detail {
    #[serde(rename = "TotalPrice", default)]
    pub total_price: Option<String>,
    #[serde(rename = "ShipCharge", default)]
    pub ship_charge: Option<String>,
    #[serde(rename = "PayCharge", default)]
    pub pay_charge: Option<String>,
    #[serde(rename = "Discount", default)]
    pub discount: Option<String>,
    #[serde(rename = "UsePoint", default)]
    pub use_point: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Seller {
    #[serde(rename = "SellerId", default)]
    pub seller_id: Option<String>,
}

/// `<Item>`: one order line.
#[derive(Debug, Default, Deserialize)]
pub struct Item {
    #[serde(rename = "LineId", default)]
    pub line_id: Option<String>,
    /// The store's item code (商品コード).
    #[serde(rename = "ItemId", default)]
    pub item_id: Option<String>,
    #[serde(rename = "Title", default)]
    pub title: Option<String>,
    /// The variation's code (サブコード): the seller SKU when the item has variations.
    #[serde(rename = "SubCode", default)]
    pub sub_code: Option<String>,
    #[serde(rename = "SubCodeOption", default)]
    pub sub_code_option: Option<String>,
    #[serde(rename = "Quantity", default)]
    pub quantity: Option<String>,
    /// One unit's price in yen, tax included.
    #[serde(rename = "UnitPrice", default)]
    pub unit_price: Option<String>,
    #[serde(rename = "ItemTaxRatio", default)]
    pub item_tax_ratio: Option<String>,
}

// --- orderShipStatusChange -----------------------------------------------------------------

/// `<Req>` of orderShipStatusChange (出荷ステータス変更API).
#[derive(Debug, Serialize)]
#[serde(rename = "Req")]
pub struct ShipStatusChangeRequest<'a> {
    #[serde(rename = "Target")]
    pub target: ChangeTarget<'a>,
    #[serde(rename = "Order")]
    pub order: ChangeOrder<'a>,
    #[serde(rename = "SellerId")]
    pub seller_id: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ChangeTarget<'a> {
    #[serde(rename = "OrderId")]
    pub order_id: &'a str,
    /// Required: whether the order's points are fixed with this change.
    #[serde(rename = "IsPointFix")]
    pub is_point_fix: bool,
    #[serde(rename = "OperationUser", skip_serializing_if = "Option::is_none")]
    pub operation_user: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct ChangeOrder<'a> {
    #[serde(rename = "Ship")]
    pub ship: ShipChange<'a>,
}

#[derive(Debug, Serialize)]
pub struct ShipChange<'a> {
    #[serde(rename = "ShipStatus")]
    pub ship_status: u8,
    /// `postage1`..`postage16` from the store's delivery settings.
    #[serde(rename = "ShipMethod", skip_serializing_if = "Option::is_none")]
    pub ship_method: Option<&'a str>,
    #[serde(rename = "ShipCompanyCode", skip_serializing_if = "Option::is_none")]
    pub ship_company_code: Option<&'a str>,
    #[serde(rename = "ShipInvoiceNumber1")]
    pub ship_invoice_number1: &'a str,
    /// `YYYYMMDD` (JST).
    #[serde(rename = "ShipDate")]
    pub ship_date: String,
}

/// Serialize a `<Req>` with the XML declaration the documentation's examples carry.
pub fn to_xml<T: Serialize>(request: &T) -> Result<String, quick_xml::SeError> {
    let body = quick_xml::se::to_string(request)?;
    Ok(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_nodes_become_json_with_repeats_as_arrays() {
        let xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ResultSet totalResultsAvailable=\"1\">\
            <Result><Status>OK</Status><OrderInfo><OrderId>s-1</OrderId><StoreStatus></StoreStatus>\
            <Item><LineId>1</LineId></Item><Item><LineId>2</LineId><Title>A &amp; B</Title></Item>\
            </OrderInfo></Result></ResultSet>";
        let Document::ResultSet(node) = quick_xml::de::from_str::<AnyDocument>(xml).unwrap() else {
            panic!("root not recognised");
        };
        let json = node.to_json();
        assert_eq!(json["@totalResultsAvailable"], "1");
        let order = &json["Result"]["OrderInfo"];
        assert_eq!(order["OrderId"], "s-1");
        assert_eq!(order["StoreStatus"], "");
        assert_eq!(order["Item"][1]["Title"], "A & B");
        assert_eq!(order["Item"].as_array().map(Vec::len), Some(2));
        assert!(!format!("{node:?}").contains("s-1"));
    }

    #[test]
    fn roots_are_told_apart() {
        let e = quick_xml::de::from_str::<AnyDocument>(
            "<Error><Message>\nAccessToken has been expired.\n</Message><Code>px-04102</Code></Error>",
        )
        .unwrap();
        let Document::Error(body) = e else {
            panic!("not an error")
        };
        assert_eq!(body.code.as_deref(), Some("px-04102"));
        assert!(matches!(
            quick_xml::de::from_str::<AnyDocument>("<html><body>x</body></html>").unwrap(),
            Document::Other
        ));
    }

    #[test]
    fn a_single_item_reads_as_a_list_of_one() {
        let xml = "<ResultSet><Result><Status>OK</Status><OrderInfo><OrderId>s-1</OrderId>\
            <Item><LineId>1</LineId><SubCode/></Item></OrderInfo></Result></ResultSet>";
        let Document::ResultSet(rs) =
            quick_xml::de::from_str::<Document<OrderInfoResultSet>>(xml).unwrap()
        else {
            panic!("root")
        };
        assert_eq!(rs.result.order.items.len(), 1);
        assert_eq!(rs.result.order.items[0].sub_code.as_deref(), Some(""));
    }

    #[test]
    fn status_changes_carry_optional_warnings() {
        let xml = "<ResultSet><Result><Status>OK</Status><Warning><Message>w</Message></Warning>\
            </Result></ResultSet>";
        let Document::ResultSet(set) =
            quick_xml::de::from_str::<Document<ChangeResultSet>>(xml).unwrap()
        else {
            panic!("root")
        };
        let outcome = set.result.unwrap();
        assert_eq!(outcome.status.as_deref(), Some("OK"));
        assert_eq!(outcome.warnings.len(), 1);
    }

    #[test]
    fn requests_serialize_as_documented() {
        let req = ShipStatusChangeRequest {
            target: ChangeTarget {
                order_id: "store-1",
                is_point_fix: true,
                operation_user: None,
            },
            order: ChangeOrder {
                ship: ShipChange {
                    ship_status: 3,
                    ship_method: None,
                    ship_company_code: Some("1001"),
                    ship_invoice_number1: "4321<0987>",
                    ship_date: "20260511".into(),
                },
            },
            seller_id: "store",
        };
        assert_eq!(
            to_xml(&req).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Req><Target><OrderId>store-1</OrderId>\
             <IsPointFix>true</IsPointFix></Target><Order><Ship><ShipStatus>3</ShipStatus>\
             <ShipCompanyCode>1001</ShipCompanyCode><ShipInvoiceNumber1>4321&lt;0987&gt;\
             </ShipInvoiceNumber1><ShipDate>20260511</ShipDate></Ship></Order>\
             <SellerId>store</SellerId></Req>"
        );
    }
}
