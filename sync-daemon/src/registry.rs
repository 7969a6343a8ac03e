//! The connectors this binary knows: one line per connector crate.

use std::sync::Arc;

use connector_kit::ConnectorFactory;
use core_model::Platform;

/// Every registered connector factory.
pub fn factories() -> Vec<Arc<dyn ConnectorFactory>> {
    vec![
        Arc::new(connector_amazon::AmazonFactory),
        Arc::new(connector_shopee::ShopeeFactory),
        Arc::new(connector_tiktok_shop::TiktokShopFactory),
        Arc::new(connector_temu::TemuFactory),
        Arc::new(connector_mercadolibre::MercadolibreFactory),
        Arc::new(connector_walmart::WalmartFactory),
        Arc::new(connector_shopify::ShopifyFactory),
        Arc::new(connector_ebay::EbayFactory),
        Arc::new(connector_lazada::LazadaFactory),
        Arc::new(connector_wayfair::WayfairFactory),
        Arc::new(connector_shein::SheinFactory),
        Arc::new(connector_rakuten::RakutenFactory),
        Arc::new(connector_yahoo_shopping::YahooShoppingFactory),
        Arc::new(connector_aliexpress::AliexpressFactory),
        Arc::new(connector_ozon::OzonFactory),
        Arc::new(connector_coupang::CoupangFactory),
    ]
}

/// The factory of `platform`, or an error naming the ones that exist.
pub fn factory(platform: Platform) -> anyhow::Result<Arc<dyn ConnectorFactory>> {
    let all = factories();
    let names: Vec<&str> = all.iter().map(|f| f.platform().slug()).collect();
    let names = names.join(", ");
    all.into_iter()
        .find(|f| f.platform() == platform)
        .ok_or_else(|| anyhow::anyhow!("no connector for `{platform}` yet (connectors: {names})"))
}
