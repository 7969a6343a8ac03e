//! The conformance suite every omsync connector runs, against `fixtures/aliexpress/`.

connector_testkit::conformance_suite!(connector_aliexpress::AliexpressFactory);
