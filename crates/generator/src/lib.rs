//! retention-generator: not built yet (see its issue).
#![deny(missing_docs)]
