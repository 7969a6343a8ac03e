//! shopify connector (in progress)
