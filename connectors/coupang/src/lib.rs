//! coupang connector (in progress)
