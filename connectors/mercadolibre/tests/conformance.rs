//! The connector conformance suite against `fixtures/mercadolibre/`.

connector_testkit::conformance_suite!(connector_mercadolibre::MercadolibreFactory);
