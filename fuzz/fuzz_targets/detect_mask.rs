//! Any tag or field through detection and masking: a mask never contains the
//! detected value (see `warden_fuzz::detect`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| warden_fuzz::detect::check(data));
