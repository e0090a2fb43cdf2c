//! tag-guard's pure step on a 50-tag event: every detector over every tag,
//! and the plan for the ones that hold a finding (no I/O). Budget: ≤ 50 µs
//! median on the 2-core build machines.
//!
//! `cargo bench -p tag-guard --bench evaluate`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tag_guard::shapes::{ResourceRef, Touched};
use tag_guard::{ResourceTags, TagRules, TagState, TagTarget, evaluate};
use warden_shared::detect::{Detectors, TagAction};
use warden_shared::exempt::{Date, Exemption};

fn fifty_tags() -> Vec<(String, String)> {
    let list: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../../shared/benches/fifty-tags.json"))
            .expect("fifty-tags.json is JSON");
    list.iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_string(),
                t["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn evaluate_50_tags(c: &mut Criterion) {
    let rules = TagRules {
        detectors: Detectors::all(),
        action: TagAction::Redact,
        exemption_tag: "warden:exempt".into(),
    };
    let resource =
        ResourceRef::from_arn("arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc".into());
    let target = TagTarget {
        touched: Touched {
            resources: vec![resource.clone()],
            ..Touched::default()
        },
        origin: "ec2.amazonaws.com/CreateTags".into(),
    };
    let state = TagState {
        resources: vec![ResourceTags {
            resource,
            tags: Some(fifty_tags()),
        }],
        unresolved_tags: vec![],
        fields: vec![],
        today: Date::parse("2026-11-23").expect("a date"),
    };
    let findings = evaluate(&rules, &target, &state, &Exemption::None)
        .findings
        .len();
    assert!(
        findings >= 4,
        "the benchmark event holds a few findings, got {findings}"
    );

    c.bench_function("evaluate_50_tags", |b| {
        b.iter(|| evaluate(&rules, &target, black_box(&state), &Exemption::None))
    });
}

criterion_group!(benches, evaluate_50_tags);
criterion_main!(benches);
