//! The conformance suite every omsync connector runs, against `fixtures/lazada/`.

connector_testkit::conformance_suite!(connector_lazada::LazadaFactory);
