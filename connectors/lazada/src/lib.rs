//! lazada connector (in progress)
