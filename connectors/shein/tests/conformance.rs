//! The conformance suite every omsync connector runs, against `fixtures/shein/`.

connector_testkit::conformance_suite!(connector_shein::SheinFactory);
