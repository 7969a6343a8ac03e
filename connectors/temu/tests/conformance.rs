//! The conformance suite every omsync connector runs, against `fixtures/temu/`.

connector_testkit::conformance_suite!(connector_temu::TemuFactory);
