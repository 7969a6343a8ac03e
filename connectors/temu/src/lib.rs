//! temu connector (in progress)
