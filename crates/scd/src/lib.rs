//! retention-scd: not built yet (see its issue).
#![deny(missing_docs)]
