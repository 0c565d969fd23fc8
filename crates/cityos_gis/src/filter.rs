//! CQL2 expressions compiled to the store's query compiler (placeholder).
