//! The connector conformance suite against `fixtures/wayfair/`.

connector_testkit::conformance_suite!(connector_wayfair::WayfairFactory);
