//! shopee connector (in progress)
