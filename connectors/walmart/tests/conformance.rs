//! The connector conformance suite against `fixtures/walmart/`.

connector_testkit::conformance_suite!(connector_walmart::WalmartFactory);
