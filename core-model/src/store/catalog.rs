//! (filled in by the OMS flow work)
