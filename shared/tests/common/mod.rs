//! Helpers shared by the integration tests (and the precision benchmark).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod labelled;
