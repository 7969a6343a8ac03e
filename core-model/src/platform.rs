//! Platforms, sellers and stores: who an order belongs to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The sixteen marketplaces omsync connects to. The slug is the stable name used in config,
/// the CLI, fixtures and the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    Amazon,
    Shopee,
    Temu,
    TiktokShop,
    Mercadolibre,
    Walmart,
    Shopify,
    Ebay,
    Lazada,
    Wayfair,
    Shein,
    Rakuten,
    YahooShopping,
    Aliexpress,
    Ozon,
    Coupang,
}

impl Platform {
    pub const ALL: [Platform; 16] = [
        Platform::Amazon,
        Platform::Shopee,
        Platform::Temu,
        Platform::TiktokShop,
        Platform::Mercadolibre,
        Platform::Walmart,
        Platform::Shopify,
        Platform::Ebay,
        Platform::Lazada,
        Platform::Wayfair,
        Platform::Shein,
        Platform::Rakuten,
        Platform::YahooShopping,
        Platform::Aliexpress,
        Platform::Ozon,
        Platform::Coupang,
    ];

    /// The stable slug: `amazon`, `tiktok-shop`, `yahoo-shopping`, ...
    pub fn slug(self) -> &'static str {
        match self {
            Platform::Amazon => "amazon",
            Platform::Shopee => "shopee",
            Platform::Temu => "temu",
            Platform::TiktokShop => "tiktok-shop",
            Platform::Mercadolibre => "mercadolibre",
            Platform::Walmart => "walmart",
            Platform::Shopify => "shopify",
            Platform::Ebay => "ebay",
            Platform::Lazada => "lazada",
            Platform::Wayfair => "wayfair",
            Platform::Shein => "shein",
            Platform::Rakuten => "rakuten",
            Platform::YahooShopping => "yahoo-shopping",
            Platform::Aliexpress => "aliexpress",
            Platform::Ozon => "ozon",
            Platform::Coupang => "coupang",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.slug())
    }
}

/// A slug that names no platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform `{0}` (expected one of: amazon, shopee, temu, tiktok-shop, mercadolibre, walmart, shopify, ebay, lazada, wayfair, shein, rakuten, yahoo-shopping, aliexpress, ozon, coupang)")]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.slug() == s)
            .ok_or_else(|| UnknownPlatform(s.to_owned()))
    }
}

/// A seller: the 3PL's customer, who owns stores on marketplaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SellerId(pub i64);

/// One authorized store (shop, seller account) of a seller on one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoreId(pub i64);

impl fmt::Display for StoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a connector knows about the store it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreRef {
    pub id: StoreId,
    pub platform: Platform,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_for_every_platform() {
        for p in Platform::ALL {
            assert_eq!(p.slug().parse::<Platform>(), Ok(p));
            // serde uses the same slug as the CLI and the database.
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.slug())
            );
        }
        assert!("amazon.com".parse::<Platform>().is_err());
    }
}
