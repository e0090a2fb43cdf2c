//! Scans a realistic 50-tag event with every detector enabled: the detection
//! part of tag-guard's evaluate budget (≤ 50 µs median for the whole step).
//!
//! `cargo bench -p warden-shared --bench detect`; the median is in
//! `target/criterion/scan_50_tags/new/estimates.json`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use warden_shared::detect::{AllowList, DetectorId, Detectors};

/// 50 tags as they appear on real resources: mostly clean, a few with
/// findings (an email, an account id, a key pair, credentials in a URL).
const TAGS: [(&str, &str); 50] = [
    ("Name", "orders-api-prod-eu-west-1"),
    ("Environment", "production"),
    ("Owner", "jane.doe@example.com"),
    ("Team", "payments-platform"),
    ("CostCenter", "CC-40213"),
    ("Project", "checkout-v2"),
    ("Application", "orders-api"),
    ("Service", "order-service"),
    ("Version", "v2.14.3"),
    ("GitCommit", "3f5e2b7c9a1d4e6f8b0c2d4e6f8a0b1c3d5e7f90"),
    ("Repository", "git@github.com:example-org/orders-api.git"),
    (
        "DeployedBy",
        "arn:aws:sts::123456789012:assumed-role/ci-deployer/build-4711",
    ),
    ("DeployedAt", "2024-05-17T09:42:13Z"),
    ("BuildId", "b7c1e9a2-4f3d-4c8e-9a61-2f0d7e5b3c19"),
    ("Pipeline", "orders-api-release"),
    ("DataClassification", "confidential"),
    ("Compliance", "pci-dss"),
    ("BackupPolicy", "daily-35d"),
    ("Schedule", "cron(0 3 * * ? *)"),
    ("AutoShutdown", "false"),
    ("ManagedBy", "terraform"),
    ("TerraformWorkspace", "orders-prod"),
    ("Stack", "orders-api-prod"),
    ("Region", "eu-west-1"),
    ("AccountId", "123456789012"),
    ("VpcId", "vpc-0a1b2c3d4e5f67890"),
    (
        "SubnetIds",
        "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
    ),
    (
        "KmsKey",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    ("LogBucket", "arn:aws:s3:::orders-api-logs-prod"),
    (
        "Description",
        "Order intake API behind the public ALB; pages the on-call rota",
    ),
    ("OnCall", "payments-oncall"),
    ("SupportTier", "gold"),
    ("SLA", "99.95"),
    ("Created", "2023-11-02"),
    ("ExpiresOn", "2026-12-31"),
    ("Ticket", "JIRA-18342"),
    ("OrderNumber", "100234567890"),
    ("ImageTag", "1.27.3-alpine"),
    (
        "Image",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:2.14.3",
    ),
    (
        "Database",
        "postgres://orders:Wq8zP2vLx@orders-db.internal.example.com:5432/orders",
    ),
    (
        "CacheEndpoint",
        "orders-cache.abc123.euw1.cache.amazonaws.com:6379",
    ),
    ("Monitoring", "datadog"),
    ("Alerts", "https://status.example.com/orders"),
    (
        "Runbook",
        "https://wiki.example.com/display/OPS/Orders+API+Runbook",
    ),
    ("Tier", "backend"),
    ("Criticality", "high"),
    ("Contact", "platform team (#orders-api on Slack)"),
    ("LegacyKey", "AKIAIOSFODNN7EXAMPLE"),
    (
        "Notes",
        "migrated from the monolith in Q3; see ADR-0042 for the split",
    ),
    ("Department", "engineering"),
];

fn scan_50_tags(c: &mut Criterion) {
    let detectors = Detectors::new(DetectorId::ALL.to_vec(), AllowList::empty());
    let found: usize = TAGS.iter().map(|(k, v)| detectors.scan(k, v).len()).sum();
    assert!(found >= 5, "the benchmark event should hold a few findings");

    c.bench_function("scan_50_tags", |b| {
        b.iter(|| {
            let mut n = 0;
            for (key, value) in black_box(&TAGS) {
                n += detectors.scan(key, value).len();
            }
            n
        })
    });
}

criterion_group!(benches, scan_50_tags);
criterion_main!(benches);
