//! tag-guard's pure step on a 50-tag event: every detector over every tag,
//! and the plan for the ones that hold a finding (no I/O). Budget: ≤ 50 µs
//! median on the 2-core build machines.
//!
//! `cargo bench -p tag-guard --bench evaluate`

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tag_guard::shapes::ResourceRef;
use tag_guard::{TagGuard, TagState, TagTarget};
use warden_shared::detect::{Detectors, TagAction};
use warden_shared::rule::assess;
use warden_shared::{Exemption, Input};

#[path = "../../../shared/benches/common/mod.rs"]
mod common;

use common::fifty_tags;

fn evaluate_50_tags(c: &mut Criterion) {
    let guard = TagGuard {
        detectors: Detectors::all(),
        action: TagAction::Redact,
        exemption_tag: "warden:exempt".into(),
    };
    let target = TagTarget::Resource(ResourceRef::from_arn(
        "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc".into(),
    ));
    let state = TagState::Tags(fifty_tags());
    // Every rule and the plan, exactly as the pipeline runs them.
    let evaluate = |state: &TagState| {
        let input = Input {
            target: &target,
            state,
            evidence: None,
        };
        assess(&guard, &input, &Exemption::None)
    };
    let findings = evaluate(&state).findings.len();
    assert!(
        findings >= 4,
        "the benchmark event holds a few findings, got {findings}"
    );

    c.bench_function("evaluate_50_tags", |b| {
        b.iter(|| evaluate(black_box(&state)))
    });
}

criterion_group!(benches, evaluate_50_tags);
criterion_main!(benches);
