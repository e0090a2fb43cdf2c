//! Security Hub: findings imported, updated, resolved and archived as the
//! bucket changes, exemptions left alone, and imports batched.

use bucket_guard::{Bucket, BucketGuard};
use serde_json::{Value, json};
use std::time::Duration;
use warden_shared::outcome::Status;
use warden_shared::sinks::securityhub::{SecurityHub, finding_id};
use warden_shared::{Context, Outcome, Pipeline};
use warden_tests::aws::REGION;
use warden_tests::fixtures::unique;

use super::{
    ACCOUNT, GUARD, aws, behind_a_fault_proxy, bucket, check, findings, imports_through, pipeline,
    product_field, states, the_finding,
};

/// Security Hub enabled in the emulator's account, as a person does once.
async fn enabled_hub(aws: &aws_config::SdkConfig) -> SecurityHub {
    let hub = SecurityHub::new(aws);
    hub.client()
        .post_json(REGION, "/accounts", &json!({}))
        .await
        .unwrap();
    hub
}

/// A new bucket from [`bucket`] on an emulator with Security Hub enabled,
/// to be checked in sweep `sweep_id` by an observe pipeline that imports
/// its findings.
struct HubCase {
    aws: aws_config::SdkConfig,
    s3: aws_sdk_s3::Client,
    hub: SecurityHub,
    name: String,
    target: Bucket,
    arn: String,
    context: Context,
    observe: Pipeline<BucketGuard>,
}

async fn hub_case(tag: &str, sweep_id: &str) -> HubCase {
    let aws = aws().await;
    let s3 = warden_tests::s3(&aws);
    let hub = enabled_hub(&aws).await;
    let name = unique(tag);
    let target = bucket(&s3, &name).await;
    let arn = format!("arn:aws:s3:::{name}");
    let context = Context::sweep(sweep_id, ACCOUNT, REGION);
    let observe = pipeline(&aws, &[("WARDEN_SECURITY_HUB", "true")]);
    HubCase {
        aws,
        s3,
        hub,
        name,
        target,
        arn,
        context,
        observe,
    }
}

impl HubCase {
    /// One check of the bucket by `pipeline` (`observe` or another), which
    /// must succeed.
    async fn check_by(&self, pipeline: &Pipeline<BucketGuard>) -> Outcome {
        check(pipeline, &self.target, &self.context).await.unwrap()
    }

    async fn check(&self) -> Outcome {
        self.check_by(&self.observe).await
    }
}

#[tokio::test]
async fn findings_are_imported_updated_resolved_and_archived() {
    let case = hub_case("warden-sink-hub", "sweep-hub-1").await;
    let (hub, name, arn) = (&case.hub, &case.name, &case.arn);

    // 1. Observe: every finding goes to Security Hub (see README), FAILED.
    let outcome = case.check().await;
    assert_eq!(outcome.status, Status::Observed);
    let tls_id = finding_id(GUARD, "tls-required", arn);
    let version_id = finding_id(GUARD, "tls-version", arn);
    let pab_id = finding_id(GUARD, "public-access-block", arn);
    let tls = the_finding(hub, &tls_id).await;
    let evidence = &outcome
        .findings
        .iter()
        .find(|f| f.rule == "tls-required")
        .unwrap()
        .evidence;
    // Every field Warden sends, exactly; then those Security Hub adds.
    let sent: serde_json::Map<String, Value> = [
        "SchemaVersion",
        "ProductArn",
        "GeneratorId",
        "AwsAccountId",
        "Types",
        "Severity",
        "Title",
        "Description",
        "Resources",
        "Compliance",
        "Workflow",
        "RecordState",
    ]
    .into_iter()
    .map(|key| (key.to_string(), tls[key].clone()))
    .collect();
    assert_eq!(
        Value::Object(sent),
        json!({
            "SchemaVersion": "2018-10-08",
            "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
            "GeneratorId": "warden/bucket-guard/tls-required",
            "AwsAccountId": ACCOUNT,
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "Severity": {"Label": "MEDIUM", "Original": "medium"},
            "Title": format!("Warden bucket-guard: tls-required on {name}"),
            "Description": format!("{evidence} (outcome: observed)"),
            "Resources": [{"Type": "AwsS3Bucket", "Id": arn, "Partition": "aws", "Region": REGION}],
            "Compliance": {"Status": "FAILED", "SecurityControlId": "S3.5", "RelatedRequirements": ["S3.5"]},
            "Workflow": {"Status": "NEW"},
            "RecordState": "ACTIVE"
        })
    );
    assert_eq!(product_field(&tls, "warden/mode"), Some("observe"));
    assert_eq!(product_field(&tls, "warden/sweep_id"), Some("sweep-hub-1"));
    let pab = the_finding(hub, &pab_id).await;
    assert_eq!(pab["Compliance"]["SecurityControlId"], "S3.8");
    assert_eq!(pab["Severity"]["Label"], "HIGH");
    the_finding(hub, &version_id).await;
    // The rule that holds has no finding at all.
    assert!(
        findings(hub, &finding_id(GUARD, "default-encryption", arn))
            .await
            .is_empty()
    );

    // 2. A re-check updates the same finding: still one, updated later.
    tokio::time::sleep(Duration::from_millis(5)).await;
    case.check().await;
    let again = the_finding(hub, &tls_id).await;
    assert!(
        again["UpdatedAt"].as_str() > tls["UpdatedAt"].as_str(),
        "{again}"
    );
    assert_eq!(again["CreatedAt"], tls["CreatedAt"], "first seen stays");

    // 3. Someone else turns Block Public Access on: the next check finds
    // the rule holds, and the FAILED finding becomes PASSED and RESOLVED.
    warden_tests::buckets::set_public_access_block(&case.s3, name, [true; 4]).await;
    case.check().await;
    let pab = the_finding(hub, &pab_id).await;
    assert_eq!(states(&pab), ("PASSED", "RESOLVED", "ACTIVE"));
    assert_eq!(product_field(&pab, "warden/outcome"), Some("compliant"));
    assert_eq!(pab["Compliance"]["SecurityControlId"], "S3.8");
    assert_eq!(states(&the_finding(hub, &tls_id).await).0, "FAILED");

    // 4. Remediate: the fix is confirmed on read-back, so PASSED, RESOLVED.
    let remediate = pipeline(
        &case.aws,
        &[
            ("WARDEN_SECURITY_HUB", "true"),
            ("WARDEN_MODE", "remediate"),
        ],
    );
    let fixed = case.check_by(&remediate).await;
    assert_eq!(fixed.status, Status::Remediated, "{fixed:?}");
    for id in [&tls_id, &version_id] {
        let f = the_finding(hub, id).await;
        assert_eq!(states(&f), ("PASSED", "RESOLVED", "ACTIVE"), "{id}");
        assert_eq!(product_field(&f, "warden/outcome"), Some("remediated"));
    }

    // 5. The bucket is deleted: its findings are archived, not duplicated.
    case.s3
        .delete_bucket_policy()
        .bucket(name)
        .send()
        .await
        .unwrap();
    case.s3.delete_bucket().bucket(name).send().await.unwrap();
    let gone = case.check_by(&remediate).await;
    assert_eq!(gone.status, Status::Skipped);
    for id in [&tls_id, &version_id, &pab_id] {
        let f = the_finding(hub, id).await;
        assert_eq!(f["RecordState"], "ARCHIVED", "{id}");
    }
}

/// A rule an exemption tag switches off is not assessed, so its silence is
/// no pass: its FAILED finding stays FAILED (the exemption is a decision
/// about the finding, not a fix), while a rule that really holds now turns
/// PASSED.
#[tokio::test]
async fn an_exempted_rule_leaves_its_finding_failed() {
    let case = hub_case("warden-sink-exempt", "sweep-exempt-1").await;
    let (s3, hub, name, arn) = (&case.s3, &case.hub, &case.name, &case.arn);
    case.check().await;
    let tls_id = finding_id(GUARD, "tls-required", arn);
    let pab_id = finding_id(GUARD, "public-access-block", arn);
    assert_eq!(states(&the_finding(hub, &tls_id).await).0, "FAILED");
    assert_eq!(states(&the_finding(hub, &pab_id).await).0, "FAILED");

    // The TLS rules exempted; Block Public Access fixed by someone.
    warden_tests::buckets::set_public_access_block(s3, name, [true; 4]).await;
    warden_tests::buckets::set_tags(s3, name, &[("warden:exempt", "tls-required+tls-version")])
        .await;
    let outcome = case.check().await;
    assert_eq!(outcome.status, Status::Compliant, "{outcome:?}");
    let tls = the_finding(hub, &tls_id).await;
    assert_eq!(
        states(&tls),
        ("FAILED", "NEW", "ACTIVE"),
        "an exempted rule's finding is left as it was"
    );
    assert_eq!(
        states(&the_finding(hub, &finding_id(GUARD, "tls-version", arn)).await).0,
        "FAILED"
    );
    assert_eq!(
        states(&the_finding(hub, &pab_id).await),
        ("PASSED", "RESOLVED", "ACTIVE"),
        "a rule that holds now is passed"
    );
}

#[tokio::test]
async fn imports_are_batched_and_a_refused_finding_is_an_error() {
    let (proxy, aws) = behind_a_fault_proxy().await;
    let sink = SecurityHub::new(&aws);
    let product = warden_shared::sinks::securityhub::product_arn(REGION, ACCOUNT);
    let run = unique("batch");
    let finding = |i: usize, with_resource: bool| {
        let mut f = json!({
            "SchemaVersion": "2018-10-08",
            "Id": format!("warden/test/{run}/{i}"),
            "ProductArn": product,
            "GeneratorId": format!("warden/test/{run}"),
            "AwsAccountId": ACCOUNT,
            "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
            "CreatedAt": "2026-12-02T08:00:00.000Z",
            "UpdatedAt": "2026-12-02T08:00:00.000Z",
            "Title": "t",
            "Description": "d"
        });
        if with_resource {
            f["Resources"] = json!([{
                "Type": "Other",
                "Id": format!("arn:aws:sns:us-east-1:123456789012:t{i}")
            }]);
        }
        f
    };
    // 150 findings: two calls (100 + 50), every one imported.
    let many: Vec<Value> = (0..150).map(|i| finding(i, true)).collect();
    sink.import(REGION, &product, many).await.unwrap();
    let imports = imports_through(&proxy);
    assert_eq!(imports, 2, "{:?}", proxy.seen());
    let prefix = format!("warden/test/{run}/");
    let imported = sink
        .findings(REGION, &json!({}))
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f["Id"].as_str().is_some_and(|id| id.starts_with(&prefix)))
        .count();
    assert_eq!(imported, 150);

    // One finding Security Hub refuses (no resource) fails the delivery,
    // naming it: the invocation fails and Lambda retries the event.
    let err = sink
        .import(
            REGION,
            &product,
            vec![finding(1000, true), finding(1001, false)],
        )
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Warden.Refused", "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "BatchImportFindings on {product} was refused: 1 of 2 entries failed; the first: InvalidInput: "
        )),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("(finding warden/test/{run}/1001)")),
        "{text}"
    );
}
