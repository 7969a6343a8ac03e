//! The connector conformance suite against `fixtures/shopify/`.

connector_testkit::conformance_suite!(connector_shopify::ShopifyFactory);
