//! The conformance suite every omsync connector runs, against `fixtures/shopee/`.

connector_testkit::conformance_suite!(connector_shopee::ShopeeFactory);
