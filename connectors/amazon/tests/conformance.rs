//! The connector conformance suite against `fixtures/amazon/`.

connector_testkit::conformance_suite!(connector_amazon::AmazonFactory);
