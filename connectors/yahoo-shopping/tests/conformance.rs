//! The conformance suite against `fixtures/yahoo-shopping/`: every scenario of
//! fixtures/README.md, replayed on wiremock with `YahooShoppingFactory::check_request` checking
//! the bearer token and the decrypted `X-sws-signature` as Yahoo would.

connector_testkit::conformance_suite!(connector_yahoo_shopping::YahooShoppingFactory);
