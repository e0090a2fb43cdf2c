//! Scans a realistic 50-tag event with every detector enabled: the detection
//! part of tag-guard's evaluate budget (≤ 50 µs median for the whole step).
//!
//! `cargo bench -p warden-shared --bench detect`; the median is in
//! `target/criterion/scan_50_tags/new/estimates.json`.

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use warden_shared::detect::{AllowList, DetectorId, Detectors};

mod common;

use common::fifty_tags;

fn scan_50_tags(c: &mut Criterion) {
    let detectors = Detectors::new(DetectorId::ALL.to_vec(), AllowList::empty());
    let tags = fifty_tags();
    let found: usize = tags.iter().map(|(k, v)| detectors.scan(k, v).len()).sum();
    assert!(found >= 4, "the benchmark event should hold a few findings");

    c.bench_function("scan_50_tags", |b| {
        b.iter(|| {
            let mut n = 0;
            for (key, value) in black_box(&tags) {
                n += detectors.scan(key, value).len();
            }
            n
        })
    });
}

criterion_group!(benches, scan_50_tags);
criterion_main!(benches);
