//! Wire types of Wayfair's supplier GraphQL API (`POST /v1/graphql`): the response envelope,
//! the dropship purchase order of `getDropshipPurchaseOrders`, the `purchaseOrders.register`
//! label-generation event and the `purchaseOrders.shipment` ship notice (ASN) and its
//! transaction. Field names follow the query and mutation documents exactly; only the fields
//! omsync reads or sends are declared. Types holding buyer data hand-write `Debug`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

// ---- GraphQL envelope ------------------------------------------------------------------------

/// `{"query": ..., "variables": {...}}`, the body of every GraphQL call.
#[derive(Debug, Serialize)]
pub struct GraphQlRequest<'a, V: Serialize> {
    pub query: &'a str,
    pub variables: V,
}

/// `{"data": ..., "errors": [...]}`. Errors usually come with HTTP 200.
#[derive(Debug, Deserialize)]
pub struct GraphQlResponse<T> {
    #[serde(default = "none")]
    pub data: Option<T>,
    #[serde(default)]
    pub errors: Option<Vec<GraphQlError>>,
}

fn none<T>() -> Option<T> {
    None
}

/// One GraphQL error: `message`, `locations`, `path`, and `extensions` whose `category`
/// (`graphql`, `internal`, ...) or `classification` says what went wrong.
#[derive(Debug, Default, Deserialize)]
pub struct GraphQlError {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub path: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub extensions: Option<ErrorExtensions>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ErrorExtensions {
    #[serde(default)]
    pub category: Option<String>,
    /// A string (`ValidationError`) or an object with a `type`.
    #[serde(default)]
    pub classification: Option<serde_json::Value>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default, rename = "errorType")]
    pub error_type: Option<String>,
}

/// A gateway or token-endpoint body that is not GraphQL: `{"message": "Unauthorized"}` or
/// OAuth's `{"error": ..., "error_description": ...}`.
#[derive(Debug, Default, Deserialize)]
pub struct GatewayError {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

// ---- getDropshipPurchaseOrders ---------------------------------------------------------------

/// `data` of the purchase-order query. POs stay raw so one unreadable PO cannot sink the page.
#[derive(Debug, Deserialize)]
pub struct DropshipOrdersData {
    #[serde(rename = "getDropshipPurchaseOrders", default)]
    pub orders: Option<Vec<Box<RawValue>>>,
}

/// The query's variables. Absent ones are left out of the JSON, as GraphQL defaults them.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseOrderVariables {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_response: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub po_numbers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<&'static str>,
}

/// A dropship purchase order, the fields omsync reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseOrder {
    #[serde(default, deserialize_with = "optional_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub store_prefix: Option<String>,
    /// The PO number (`CS123456789`): the id of every mutation and of the order in omsync.
    pub po_number: String,
    pub po_date: String,
    #[serde(default, deserialize_with = "optional_id")]
    pub order_id: Option<String>,
    #[serde(default, deserialize_with = "optional_id")]
    pub supplier_id: Option<String>,
    #[serde(default)]
    pub estimated_ship_date: Option<String>,
    #[serde(default)]
    pub delivery_method_code: Option<String>,
    #[serde(default)]
    pub customer_name: Option<String>,
    #[serde(default)]
    pub customer_address1: Option<String>,
    #[serde(default)]
    pub customer_address2: Option<String>,
    #[serde(default)]
    pub customer_city: Option<String>,
    #[serde(default)]
    pub customer_state: Option<String>,
    #[serde(default)]
    pub customer_postal_code: Option<String>,
    #[serde(default)]
    pub customer_country: Option<String>,
    #[serde(default)]
    pub shipping_info: Option<ShippingInfo>,
    #[serde(default)]
    pub warehouse: Option<Warehouse>,
    pub products: Vec<Product>,
    #[serde(default)]
    pub ship_to: Option<PoAddress>,
}

impl fmt::Debug for PurchaseOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PurchaseOrder")
            .field("po_number", &self.po_number)
            .field("po_date", &self.po_date)
            .field("products", &self.products.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingInfo {
    /// The `ShipSpeed` enum value (`GROUND`, `NEXT_DAY`, ...).
    #[serde(default)]
    pub ship_speed: Option<String>,
    /// SCAC of the carrier Wayfair assigned.
    #[serde(default)]
    pub carrier_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Warehouse {
    /// The supplier id of the shipping warehouse: `register`'s `warehouseId` and the ASN's
    /// `supplierId`.
    #[serde(default, deserialize_with = "optional_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub address: Option<PoAddress>,
    #[serde(default)]
    pub supplier: Option<Supplier>,
}

#[derive(Debug, Deserialize)]
pub struct Supplier {
    #[serde(default, deserialize_with = "optional_id")]
    pub id: Option<String>,
    /// ISO 4217 currency of the supplier account, which the PO prices are in.
    #[serde(default)]
    pub currency: Option<String>,
}

/// `shipTo`, `billTo` and `warehouse.address`.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoAddress {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address1: Option<String>,
    #[serde(default)]
    pub address2: Option<String>,
    #[serde(default)]
    pub address3: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
}

impl fmt::Debug for PoAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoAddress")
            .field("city", &self.city)
            .field("state", &self.state)
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

/// One PO line.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// The supplier's part number: the seller SKU omsync maps.
    pub part_number: String,
    #[serde(deserialize_with = "quantity")]
    pub quantity: u32,
    /// Wholesale cost of one unit, in the supplier's currency.
    #[serde(deserialize_with = "decimal_from_number_text")]
    pub price: Decimal,
    #[serde(default)]
    pub name: Option<String>,
    /// Wayfair's own SKU of the listing.
    #[serde(default)]
    pub sku: Option<String>,
    /// Not available in the sandbox (the query leaves it out there).
    #[serde(default)]
    pub is_cancelled: Option<bool>,
}

// ---- purchaseOrders.register -----------------------------------------------------------------

/// `RegistrationInput`: the PO, and the warehouse it is picked up from.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationInput {
    pub po_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warehouse_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterVariables {
    pub registration_input: RegistrationInput,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterData {
    #[serde(default)]
    pub purchase_orders: Option<RegisterMutation>,
}

#[derive(Debug, Deserialize)]
pub struct RegisterMutation {
    #[serde(default)]
    pub register: Option<LabelGenerationEvent>,
}

/// What a registration produced: the documents and the labels Wayfair bought.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelGenerationEvent {
    #[serde(default, deserialize_with = "optional_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub event_date: Option<String>,
    #[serde(default)]
    pub pickup_date: Option<String>,
    #[serde(default)]
    pub consolidated_shipping_label: Option<DocumentLink>,
    #[serde(default)]
    pub bill_of_lading: Option<DocumentLink>,
    #[serde(default)]
    pub generated_shipping_labels: Option<Vec<Option<GeneratedShippingLabel>>>,
}

#[derive(Debug, Deserialize)]
pub struct DocumentLink {
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedShippingLabel {
    #[serde(default)]
    pub number_of_labels: Option<u32>,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub carrier_code: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
}

// ---- purchaseOrders.shipment (ASN) -----------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct ShipmentVariables {
    pub notice: ShipNoticeInput,
}

/// `ShipNoticeInput`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipNoticeInput {
    pub po_number: String,
    /// The shipping warehouse's supplier id, a JSON number when it is numeric.
    pub supplier_id: serde_json::Value,
    pub package_count: u32,
    pub carrier_code: String,
    pub ship_speed: String,
    pub tracking_number: String,
    pub ship_date: String,
    pub source_address: ShipNoticeAddress,
    pub destination_address: ShipNoticeAddress,
    pub small_parcel_shipments: Vec<SmallParcelShipment>,
}

impl fmt::Debug for ShipNoticeInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShipNoticeInput")
            .field("po_number", &self.po_number)
            .field("carrier_code", &self.carrier_code)
            .field("ship_speed", &self.ship_speed)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipNoticeAddress {
    pub name: String,
    pub street_address1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address2: Option<String>,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub country: String,
}

impl fmt::Debug for ShipNoticeAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShipNoticeAddress")
            .field("city", &self.city)
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize)]
pub struct SmallParcelShipment {
    pub package: Package,
    pub items: Vec<ShipNoticeItem>,
}

#[derive(Debug, Serialize)]
pub struct Package {
    pub code: PackageCode,
}

/// `{"type": "TRACKING_NUMBER" | "UCC_128", "value": ...}`.
#[derive(Debug, Serialize)]
pub struct PackageCode {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipNoticeItem {
    pub part_number: String,
    pub quantity: u32,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentData {
    #[serde(default)]
    pub purchase_orders: Option<ShipmentMutation>,
}

#[derive(Debug, Deserialize)]
pub struct ShipmentMutation {
    #[serde(default)]
    pub shipment: Option<Transaction>,
}

/// The asynchronous transaction every `purchaseOrders` mutation answers with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    #[serde(default, deserialize_with = "optional_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub handle: Option<String>,
    /// `NEW`, `PROCESSING`, `COMPLETE` or `ERROR`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<String>,
    #[serde(default)]
    pub errors: Option<Vec<Option<TransactionItem>>>,
}

#[derive(Debug, Deserialize)]
pub struct TransactionItem {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

// ---- helpers ---------------------------------------------------------------------------------

/// A JSON number read from its literal text (`12.5`, `129.99`), or a numeric string: going
/// through `f64` could change an amount.
pub fn decimal_from_number_text<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    let text = raw.get().trim();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| serde::de::Error::custom("expected a decimal number"))
}

/// A quantity given as a JSON integer or a numeric string (`"2"`, `"2.0"`).
pub fn quantity<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let bad = || serde::de::Error::custom("expected a whole, non-negative quantity");
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(q) => u32::try_from(q).map_err(|_| bad()),
            None => whole_text(&n.to_string()).ok_or_else(bad),
        },
        serde_json::Value::String(s) => whole_text(&s).ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn whole_text(text: &str) -> Option<u32> {
    let d = Decimal::from_str(text.trim()).ok()?;
    if d.fract() != Decimal::ZERO || d.is_sign_negative() {
        return None;
    }
    u32::from_str(&d.trunc().normalize().to_string()).ok()
}

/// An id given as a JSON number or a string; `null` and `""` are `None`.
pub fn optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(serde::de::Error::custom("expected an id")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Line {
        #[serde(deserialize_with = "quantity")]
        quantity: u32,
        #[serde(deserialize_with = "decimal_from_number_text")]
        price: Decimal,
    }

    #[test]
    fn amounts_keep_their_text_and_quantities_accept_numeric_strings() {
        let a: Line = connector_kit::decode_json(br#"{"quantity": 2, "price": 129.99}"#).unwrap();
        assert_eq!(a.quantity, 2);
        assert_eq!(a.price.to_string(), "129.99");
        let b: Line = connector_kit::decode_json(br#"{"quantity": "3", "price": "0.10"}"#).unwrap();
        assert_eq!((b.quantity, b.price.to_string().as_str()), (3, "0.10"));
        let c: Line = connector_kit::decode_json(br#"{"quantity": 1.0, "price": 1e2}"#).unwrap();
        assert_eq!((c.quantity, c.price), (1, Decimal::from(100)));
        for bad in [
            r#"{"quantity": "two", "price": 1}"#,
            r#"{"quantity": 1.5, "price": 1}"#,
            r#"{"quantity": -1, "price": 1}"#,
            r#"{"quantity": 1, "price": "cheap"}"#,
        ] {
            assert!(
                connector_kit::decode_json::<Line>(bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn ids_come_as_numbers_or_strings() {
        #[derive(Deserialize)]
        struct W {
            #[serde(default, deserialize_with = "optional_id")]
            id: Option<String>,
        }
        let n: W = serde_json::from_str(r#"{"id": 12345}"#).unwrap();
        let s: W = serde_json::from_str(r#"{"id": "12345"}"#).unwrap();
        let e: W = serde_json::from_str(r#"{"id": null}"#).unwrap();
        let m: W = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(n.id.as_deref(), Some("12345"));
        assert_eq!(s.id.as_deref(), Some("12345"));
        assert!(e.id.is_none() && m.id.is_none());
    }

    #[test]
    fn ship_notice_serializes_with_wayfair_names() {
        let notice = ShipNoticeInput {
            po_number: "CS1".into(),
            supplier_id: serde_json::json!(12),
            package_count: 1,
            carrier_code: "UPSN".into(),
            ship_speed: "GROUND".into(),
            tracking_number: "1Z".into(),
            ship_date: "2026-05-11 15:04:05.000000 +00:00".into(),
            source_address: ShipNoticeAddress {
                name: "Dock".into(),
                street_address1: "1 Depot Rd".into(),
                street_address2: None,
                city: "Reno".into(),
                state: Some("NV".into()),
                postal_code: None,
                country: "USA".into(),
            },
            destination_address: ShipNoticeAddress {
                name: "B".into(),
                street_address1: "2 Elm St".into(),
                street_address2: Some("Apt 3".into()),
                city: "Austin".into(),
                state: None,
                postal_code: Some("78701".into()),
                country: "USA".into(),
            },
            small_parcel_shipments: vec![SmallParcelShipment {
                package: Package {
                    code: PackageCode {
                        kind: "TRACKING_NUMBER",
                        value: "1Z".into(),
                    },
                },
                items: vec![ShipNoticeItem {
                    part_number: "P-1".into(),
                    quantity: 2,
                }],
            }],
        };
        let v = serde_json::to_value(&notice).unwrap();
        assert_eq!(v["poNumber"], "CS1");
        assert_eq!(v["supplierId"], 12);
        assert_eq!(v["sourceAddress"]["streetAddress1"], "1 Depot Rd");
        assert!(v["sourceAddress"].get("streetAddress2").is_none());
        assert_eq!(v["destinationAddress"]["postalCode"], "78701");
        assert_eq!(
            v["smallParcelShipments"][0]["package"]["code"]["type"],
            "TRACKING_NUMBER"
        );
        assert_eq!(
            v["smallParcelShipments"][0]["items"][0]["partNumber"],
            "P-1"
        );
        assert!(!format!("{notice:?}").contains("Elm"));
    }
}
