//! amazon connector (in progress)
