//! omsync's domain: platforms, sellers and stores, the neutral [`PlatformOrder`], the
//! [`Marketplace`] trait every connector implements, its one error type, and (behind the
//! `store` feature) the sqlx order store.

pub mod error;
pub mod fulfillment;
pub mod mapping;
pub mod marketplace;
pub mod order;
pub mod platform;
#[cfg(feature = "store")]
pub mod store;

pub use error::{ErrorKind, MarketplaceError, Operation};
pub use marketplace::{
    Capabilities, Cursor, Label, LabelFormat, LabelSpec, MalformedOrder, Marketplace, OrderPage,
    Parcel, RateSpec, ShipFrom, Shipment, ShipmentLine, TrackingAck, TrackingMode, Window,
};
pub use order::{Address, FlowStatus, NeutralStatus, OrderLine, PlatformOrder};
pub use platform::{Platform, SellerId, StoreId, StoreRef};
