//! Any bucket policy through bucket-guard's merge: every statement survives
//! and the result parses (see `warden_fuzz::policy`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::policy::check(data));
