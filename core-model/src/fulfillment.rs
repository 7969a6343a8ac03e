//! The warehouse side of the OMS flow: products (system SKUs), warehouses and their shipping
//! channels, fulfillment orders and inventory, and the refusals the warehouse's guide words.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A product (system SKU) of one seller.
    ProductId
);
id_type!(WarehouseId);
id_type!(ChannelId);
id_type!(
    /// A fulfillment (pick & pack) order.
    FulfillmentId
);
id_type!(
    /// An inbound order (ASN).
    InboundId
);
id_type!(TopUpId);
id_type!(DocumentId);

/// Declares a string-backed enum with `as_str`, `parse` and serde in the same spelling the
/// database uses.
macro_rules! str_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $s)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ::std::string::String;

            fn from_str(s: &str) -> ::std::result::Result<Self, ::std::string::String> {
                $name::parse(s).ok_or_else(|| {
                    let all: ::std::vec::Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} `{s}` (expected one of: {})", stringify!($name), all.join(", "))
                })
            }
        }
    };
}
pub(crate) use str_enum;

str_enum!(
    /// Where a product stands with the warehouse's product audit.
    ProductStatus {
        Draft = "draft",
        /// Waiting for the warehouse's audit.
        Submitted = "submitted",
        /// Usable in mappings, inbound and fulfillment orders; its SKU and hazardous-goods
        /// classification are fixed and it cannot be deleted.
        Approved = "approved",
        /// Refused by the audit, with a reason; editable and submittable again.
        Rejected = "rejected",
    }
);

str_enum!(
    /// How a shipping channel gets its label.
    ChannelKind {
        /// The warehouse buys the carrier label and reports label and tracking number; the
        /// tracking number is uploaded to the platform when the parcel ships.
        Warehouse = "warehouse",
        /// The platform generates the label (fetched by omsync); no tracking upload needed.
        PlatformLabel = "platform_label",
    }
);

str_enum!(
    /// Where a fulfillment order stands.
    FulfillmentStatus {
        /// Draft, waiting for the carrier label from the warehouse.
        DraftFetching = "draft_fetching",
        /// Draft with its label: ready to submit to the warehouse.
        DraftPendingSubmit = "draft_pending_submit",
        /// Submitted: inventory reserved, the warehouse picks and packs.
        WarehouseProcessing = "warehouse_processing",
        Shipped = "shipped",
        /// Submission failed; the reason is kept. Move back to Draft, edit, resubmit.
        Exception = "exception",
        Cancelled = "cancelled",
    }
);

impl FulfillmentStatus {
    pub fn is_draft(self) -> bool {
        matches!(
            self,
            FulfillmentStatus::DraftFetching | FulfillmentStatus::DraftPendingSubmit
        )
    }
}

str_enum!(
    /// The inventory types the guide lists.
    InventoryKind {
        /// Units on the shelf (standard inbound): what pick & pack uses.
        Product = "product",
        /// Whole cartons (transfer inbound).
        Carton = "carton",
        /// Units received back from buyers.
        Return = "return",
    }
);

/// The refusals the warehouse's OMS guide words, kept verbatim: sellers search for them.
pub mod refusal {
    /// No mapping for the line's platform SKU in the order's store.
    pub const SKU_NOT_BOUND: &str = "Platform SKU not bound to system SKU";
    /// A mapped product the warehouse has not measured.
    pub const NOT_MEASURED: &str = "System SKU has not been measured as new product";
    /// A mapped product that has not passed the product audit.
    pub const NOT_APPROVED: &str = "System SKU has not been approved";
    /// Mapped quantity x ordered quantity exceeds the assigned warehouse's available stock.
    pub const INSUFFICIENT_INVENTORY: &str =
        "Failed to generate fulfillment order: insufficient inventory";
    /// Balance + credit limit is not positive.
    pub const NO_AVAILABLE_AMOUNT: &str =
        "Insufficient available amount: account balance + credit limit must be above 0";
    /// Moving an order to Pending that the platform itself cancelled.
    pub const UPDATE_IN_STORE: &str =
        "Failed to move to pending, please update order info in store";
    /// A platform order the platform cancelled while the warehouse worked on it.
    pub const CANCELLED_ON_PLATFORM: &str = "cancelled on platform";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_their_database_spelling() {
        for s in FulfillmentStatus::ALL {
            assert_eq!(FulfillmentStatus::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for k in ChannelKind::ALL {
            assert_eq!(k.as_str().parse::<ChannelKind>(), Ok(*k));
        }
        let err = "teleport".parse::<ChannelKind>().unwrap_err();
        assert!(err.contains("warehouse, platform_label"), "{err}");
    }
}
