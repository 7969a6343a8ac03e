//! The connector conformance suite against `fixtures/ozon/`.

connector_testkit::conformance_suite!(connector_ozon::OzonFactory);
