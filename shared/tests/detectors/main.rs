//! Detector tables (positive and negative samples per detector), the
//! allow-list, configuration parsing and property tests for masking, all
//! through the public API tag-guard uses.

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use warden_shared::detect::{
    AccountIdsInIdentifiers, AllowList, Confidence, Detection, DetectorId, Detectors, TagAction,
    describe, detector_ids, parse_detector_list,
};
use warden_shared::mask::{mask, mask_spans};

use DetectorId::*;

const SECRET_1: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SECRET_2: &str = "PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA/";
const SECRET_3: &str = "2O76UMFxFkM/R5Kjp1vRt+1fjORS/6ilI8ihN5KX";
const SECRET_4: &str = "Sc7Tvo/hBKqFYY/kv5ZJr3J1TWDtkwtDDb+xHKas";
const SECRET_5: &str = "1VOqg6YYZYn9ZhyiA4uoRgnatmUdjAWtGSU8po+7";
const SECRET_6: &str = "99NksnRH9ucAUsdMlHUvTCQCyEZDz/TddJ8HyS5S";
const SECRET_7: &str = "UkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbn";
const SECRET_8: &str = "r3yBdGBLEPH1qhT61qtc4xatws8phP9nhFyJfm5d";

mod config;
mod properties;
mod samples;
mod tables;

use tables::*;

fn only(d: DetectorId) -> Detectors {
    Detectors::new(vec![d], AllowList::empty())
}

fn of(d: DetectorId, key: &str, value: &str) -> Vec<Detection> {
    Detectors::all()
        .scan(key, value)
        .into_iter()
        .filter(|x| x.detector == d)
        .collect()
}

/// Every detection's masked sample and `Debug` / JSON form hide the text it
/// matched.
fn assert_hidden(value: &str, found: &[Detection]) {
    let debug = format!("{found:?}");
    let json = serde_json::to_string(found).unwrap();
    for f in found {
        let raw = &value[f.span.clone()];
        assert_ne!(f.masked, raw);
        assert!(!f.masked.contains(raw), "{raw:?} in {:?}", f.masked);
        assert!(!debug.contains(raw), "{raw:?} in {debug}");
        assert!(!json.contains(raw), "{raw:?} in {json}");
        assert!(!f.to_string().contains(raw));
        assert_eq!(f.masked, mask(f.detector, raw));
    }
}

fn check_positive(d: DetectorId, key: &str, value: &str) {
    let all = Detectors::all().scan(key, value);
    assert!(
        all.iter().any(|x| x.detector == d),
        "{d} missed {key}={value:?}: {all:?}"
    );
    assert_hidden(value, &all);
    let alone = only(d).scan(key, value);
    assert!(!alone.is_empty(), "{d} alone missed {key}={value:?}");
    assert!(alone.iter().all(|x| x.detector == d));
    assert_hidden(value, &alone);
    // Ordered and non-overlapping.
    for w in all.windows(2) {
        assert!(w[0].span.end <= w[1].span.start, "{all:?}");
    }
}

fn check_negative(d: DetectorId, key: &str, value: &str) {
    let found = of(d, key, value);
    assert!(found.is_empty(), "{d} flagged {key}={value:?}: {found:?}");
    assert!(
        only(d).scan(key, value).is_empty(),
        "{d} alone flagged {key}={value:?}"
    );
}

fn run_table(d: DetectorId, pos: &[(&str, &str)], neg: &[(&str, &str)]) {
    assert!(
        pos.len() >= 20 && neg.len() >= 20,
        "{d}: {} / {}",
        pos.len(),
        neg.len()
    );
    for (k, v) in pos {
        check_positive(d, k, v);
    }
    for (k, v) in neg {
        check_negative(d, k, v);
    }
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}
