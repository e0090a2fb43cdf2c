//! The properties Warden's fuzz targets check, one module per target. Each
//! `check` takes the raw input libFuzzer hands it and panics (which libFuzzer
//! reports as a crash, with the input saved) when a property fails; the
//! binaries under `fuzz_targets/` only call them.
//!
//! - [`event`]: any JSON through the pipeline's parse and every guard's
//!   event reading comes out as an outcome that says why, never a panic.
//! - [`policy`]: any bucket policy through bucket-guard's rules and merge
//!   keeps every statement and field it had, and the merged policy parses
//!   and enforces TLS.
//! - [`detect`]: for any tag or field, every detection's mask, and the value
//!   shown with its detections masked, never contain the detected text.

// A property that fails is a crash for libFuzzer to report, so the checks
// unwrap and assert freely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod detect;
pub mod event;
pub mod policy;

/// Every string in a JSON document, keys included.
pub(crate) fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                out.push(key.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}
