//! trail-guard through the test kit's generic suites: every event file in
//! every mode against moto, in process and through the built binary.

mod fixture;

warden_tests::guard_suites!(fixture::Trails, env!("CARGO_BIN_EXE_trail-guard"));
