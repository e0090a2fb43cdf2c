//! Any JSON as an EventBridge event: an outcome, never a panic (see
//! `warden_fuzz::event`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::event::check(data));
