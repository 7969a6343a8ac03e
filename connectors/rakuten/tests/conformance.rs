//! The conformance suite every omsync connector runs, against `fixtures/rakuten/`.

connector_testkit::conformance_suite!(connector_rakuten::RakutenFactory);
