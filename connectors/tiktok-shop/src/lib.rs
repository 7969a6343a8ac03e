//! tiktok-shop connector (in progress)
