//! yahoo-shopping connector (in progress)
