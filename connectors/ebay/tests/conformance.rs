//! The connector conformance suite against `fixtures/ebay/`.

connector_testkit::conformance_suite!(connector_ebay::EbayFactory);
