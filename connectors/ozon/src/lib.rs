//! ozon connector (in progress)
