//! mercadolibre connector (in progress)
