//! The conformance suite against `fixtures/coupang/`: one test per case.

connector_testkit::conformance_suite!(connector_coupang::CoupangFactory);
