//! shein connector (in progress)
