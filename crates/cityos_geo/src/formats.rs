//! Readers and writers of geodata files (filled in by the import/export work).
