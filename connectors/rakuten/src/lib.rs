//! rakuten connector (in progress)
