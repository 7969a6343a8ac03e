//! wayfair connector (in progress)
