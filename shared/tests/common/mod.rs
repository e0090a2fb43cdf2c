//! Helpers shared by the integration tests (and the precision benchmark).

pub mod labelled;
