//! The demo city's generated utility networks (placeholder).
