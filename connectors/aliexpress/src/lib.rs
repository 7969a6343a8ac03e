//! aliexpress connector (in progress)
