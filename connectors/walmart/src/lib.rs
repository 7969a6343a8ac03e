//! walmart connector (in progress)
