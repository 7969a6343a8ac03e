//! The conformance suite every omsync connector runs, against `fixtures/tiktok-shop/`.

connector_testkit::conformance_suite!(connector_tiktok_shop::TiktokShopFactory);
