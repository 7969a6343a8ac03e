//! ebay connector (in progress)
