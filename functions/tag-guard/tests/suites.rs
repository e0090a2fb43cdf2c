//! tag-guard through the test kit's generic suites: every event file in
//! every mode against moto, in process and through the built binary.

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;

warden_tests::guard_suites!(fixture::Tags, env!("CARGO_BIN_EXE_tag-guard"));
