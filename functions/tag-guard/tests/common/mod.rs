//! Fixtures shared by tag-guard's emulator and runtime-loop suites: each
//! event file's world is made real in moto by `tests/seed_moto.py` (the
//! resources exist and carry the event's tags), the exact outcome each file
//! must produce, and an independent read-back of tags through the SDK.
#![allow(dead_code)]

use aws_config::SdkConfig;
use serde_json::{Value, json};
use warden_tests::fixtures::{self, GuardEvents, unique_id};

pub const SELF_ROLE: &str =
    "arn:aws:iam::123456789012:role/warden-TagGuardFunctionRole-1A2B3C4D5E6F";

/// The sample events; the seeder, not [`GuardEvents::load`], makes each
/// one's resources real (it renames every `warden-demo` in them).
pub const EVENTS: GuardEvents = GuardEvents {
    guard: "tag-guard",
    sample: "warden-demo",
};

pub fn outcome(event: &Value, status: &str, reason: Option<&str>, findings: Vec<Value>) -> Value {
    fixtures::outcome("tag-guard", event, status, reason, findings)
}

pub struct Emulator {
    pub endpoint: String,
    pub config: SdkConfig,
}

pub async fn emulator() -> Emulator {
    let endpoint = warden_tests::moto().endpoint().to_string();
    let config = warden_tests::aws::sdk_config(&endpoint).await;
    Emulator { endpoint, config }
}

/// Seeds the event's resources in moto and returns the event naming them.
pub fn seeded(endpoint: &str, file: &str) -> Value {
    warden_tests::seed::seed_event(endpoint, &format!("events/tag-guard/{file}"), &unique_id())
        .unwrap_or_else(|e| panic!("seeding {file}: {e}"))
}

pub fn params(event: &Value) -> &Value {
    &event["detail"]["requestParameters"]
}

/// Current tags of a resource, read with the SDK (IAM for users and roles,
/// CloudTrail for trails, which moto's Tagging API does not list, the
/// Tagging API for the rest), sorted by key.
pub async fn tags_of(config: &SdkConfig, arn: &str) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = if let Some(name) = arn.split(":user/").nth(1) {
        let out = aws_sdk_iam::Client::new(config)
            .list_user_tags()
            .user_name(name)
            .send()
            .await
            .expect("ListUserTags");
        out.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    } else if let Some(name) = arn.split(":role/").nth(1) {
        let out = aws_sdk_iam::Client::new(config)
            .list_role_tags()
            .role_name(name)
            .send()
            .await
            .expect("ListRoleTags");
        out.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    } else if arn.contains(":cloudtrail:") {
        let out = aws_sdk_cloudtrail::Client::new(config)
            .list_tags()
            .resource_id_list(arn)
            .send()
            .await
            .expect("ListTags");
        out.resource_tag_list()
            .iter()
            .flat_map(|r| r.tags_list())
            .map(|t| {
                (
                    t.key().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    } else {
        let out = aws_sdk_resourcegroupstagging::Client::new(config)
            .get_resources()
            .resource_arn_list(arn)
            .send()
            .await
            .expect("GetResources");
        out.resource_tag_mapping_list()
            .iter()
            .filter(|m| m.resource_arn() == Some(arn))
            .flat_map(|m| {
                m.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
            })
            .collect()
    };
    tags.sort();
    tags
}

/// A redacted tag: the masked value before, the detector's marker after.
pub fn redacted(arn: &str, key: &str, masked: &str, detection: &str, marker: &str) -> Value {
    json!({"rule": "sensitive-tag", "resource": arn, "evidence": format!("tag `{key}` holds {detection}"),
           "changes": [{"action": "redact-tag", "before": {"key": key, "value": masked}, "after": {"key": key, "value": marker}}],
           "applied": true, "severity": "high"})
}

/// A `remediated` outcome that redacts one tag with `detector`'s marker.
pub fn redacts_one(
    event: &Value,
    arn: &str,
    key: &str,
    masked: &str,
    detection: &str,
    detector: &str,
) -> Value {
    let marker = format!("[redacted:{detector}]");
    outcome(
        event,
        "remediated",
        None,
        vec![redacted(arn, key, masked, detection, &marker)],
    )
}

pub fn field(origin: &str, name: &str, detection: &str, masked_value: &str) -> Value {
    json!({"rule": "sensitive-field", "resource": origin,
           "evidence": format!("field `{name}` holds {detection}: `{masked_value}`"),
           "changes": [], "applied": false, "severity": "high"})
}

/// One event file: the resources whose tags it names (from the seeded
/// event), the outcome in `remediate` mode, and each planted tag's value
/// afterwards.
pub struct Case {
    pub file: &'static str,
    pub arns: fn(&Value) -> Vec<String>,
    pub expect: fn(&Value, &[String]) -> Value,
    /// (resource index, tag key, value after remediation).
    pub after: Vec<(usize, &'static str, &'static str)>,
}

fn s(v: &Value) -> String {
    v.as_str().expect("a string").to_string()
}

const EMAIL_JANE: &str = "email j***@e***.com (high)";

pub fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "ec2-create-tags.json",
            arns: |e| {
                let id = s(&params(e)["resourcesSet"]["items"][0]["resourceId"]);
                vec![format!("arn:aws:ec2:us-east-1:123456789012:instance/{id}")]
            },
            expect: |e, a| redacts_one(e, &a[0], "Owner", "j***@e***.com", EMAIL_JANE, "email"),
            after: vec![(0, "Owner", "[redacted:email]")],
        },
        Case {
            file: "s3-put-bucket-tagging.json",
            arns: |e| vec![format!("arn:aws:s3:::{}", s(&params(e)["bucketName"]))],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "contact",
                    "b***@c***.com",
                    "email b***@c***.com (high)",
                    "email",
                )
            },
            after: vec![(0, "contact", "[redacted:email]"), (0, "env", "prod")],
        },
        Case {
            file: "s3-put-bucket-tagging-single.json",
            arns: |e| vec![format!("arn:aws:s3:::{}", s(&params(e)["bucketName"]))],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "aws-account",
                    "********4321",
                    "aws-account-id ********4321 (high)",
                    "aws-account-id",
                )
            },
            after: vec![(0, "aws-account", "[redacted:aws-account-id]")],
        },
        Case {
            file: "elb-add-tags.json",
            arns: |e| vec![s(&params(e)["resourceArns"][0])],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "billing-account",
                    "********4321",
                    "aws-account-id ********4321 (high)",
                    "aws-account-id",
                )
            },
            after: vec![(0, "billing-account", "[redacted:aws-account-id]")],
        },
        Case {
            file: "iam-tag-user.json",
            arns: |e| {
                vec![format!(
                    "arn:aws:iam::123456789012:user/{}",
                    s(&params(e)["userName"])
                )]
            },
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "phone",
                    "+*********43",
                    "phone-number +*********43 (medium)",
                    "phone-number",
                )
            },
            after: vec![
                (0, "phone", "[redacted:phone-number]"),
                (0, "team", "payments"),
            ],
        },
        Case {
            file: "iam-tag-role.json",
            arns: |e| {
                vec![format!(
                    "arn:aws:iam::123456789012:role/{}",
                    s(&params(e)["roleName"])
                )]
            },
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "repo",
                    "https://***:***@git.example.com/team/app.git",
                    "url-credentials https://***:***@git.example.com (high)",
                    "url-credentials",
                )
            },
            after: vec![(0, "repo", "[redacted:url-credentials]")],
        },
        Case {
            file: "lambda-tag-resource.json",
            arns: |e| vec![s(&params(e)["resource"])],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "owner-email",
                    "o***@c***.com",
                    "email o***@c***.com (high)",
                    "email",
                )
            },
            after: vec![(0, "owner-email", "[redacted:email]")],
        },
        Case {
            file: "sns-tag-resource.json",
            arns: |e| vec![s(&params(e)["resourceArn"])],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "notify",
                    "o***@c***.com",
                    "email o***@c***.com (high)",
                    "email",
                )
            },
            after: vec![(0, "notify", "[redacted:email]")],
        },
        Case {
            file: "dynamodb-tag-resource.json",
            arns: |e| vec![s(&params(e)["resourceArn"])],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "AccountId",
                    "********4321",
                    "aws-account-id ********4321 (high)",
                    "aws-account-id",
                )
            },
            after: vec![(0, "AccountId", "[redacted:aws-account-id]")],
        },
        Case {
            file: "ecs-tag-resource.json",
            arns: |e| vec![s(&params(e)["resourceArn"])],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "aws_access_key",
                    "AKIA************MPLE",
                    "aws-access-key-id AKIA************MPLE (high)",
                    "aws-access-key-id",
                )
            },
            after: vec![(0, "aws_access_key", "[redacted:aws-access-key-id]")],
        },
        Case {
            file: "kms-tag-resource.json",
            arns: |e| {
                vec![format!(
                    "arn:aws:kms:us-east-1:123456789012:key/{}",
                    s(&params(e)["keyId"])
                )]
            },
            expect: |e, a| redacts_one(e, &a[0], "Creator", "j***@e***.com", EMAIL_JANE, "email"),
            after: vec![(0, "Creator", "[redacted:email]")],
        },
        Case {
            file: "rds-add-tags-to-resource.json",
            arns: |e| vec![s(&params(e)["resourceName"])],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "card",
                    "4111********1111",
                    "payment-card 4111********1111 (high)",
                    "payment-card",
                )
            },
            after: vec![(0, "card", "[redacted:payment-card]")],
        },
        Case {
            file: "cloudtrail-add-tags.json",
            arns: |e| vec![s(&params(e)["resourceId"])],
            expect: |e, a| {
                redacts_one(
                    e,
                    &a[0],
                    "contact",
                    "s***@c***.com",
                    "email s***@c***.com (high)",
                    "email",
                )
            },
            after: vec![(0, "contact", "[redacted:email]")],
        },
        Case {
            file: "rgta-tag-resources.json",
            arns: |e| {
                params(e)["resourceARNList"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(s)
                    .collect()
            },
            expect: |e, a| {
                let d = "email c***@c***.com (high)";
                outcome(
                    e,
                    "remediated",
                    None,
                    vec![
                        redacted(&a[0], "escalation", "c***@c***.com", d, "[redacted:email]"),
                        redacted(&a[1], "escalation", "c***@c***.com", d, "[redacted:email]"),
                    ],
                )
            },
            after: vec![
                (0, "escalation", "[redacted:email]"),
                (1, "escalation", "[redacted:email]"),
                (0, "cost-center", "cc-42"),
            ],
        },
        Case {
            file: "sar-create-application.json",
            arns: |_| vec![],
            expect: |e, _| {
                let origin = s(&e["detail"]["responseElements"]["applicationId"]);
                let findings = vec![
                    field(&origin, "author", EMAIL_JANE, "j***@e***.com"),
                    field(
                        &origin,
                        "description",
                        "url-credentials https://***:***@build.example.com (high)",
                        "Deploys with https://***:***@build.example.com/hook",
                    ),
                ];
                let reason = "`author` cannot be changed after creation: recreate the resource without it; \
                              `description` cannot be changed after creation: recreate the resource without it";
                outcome(e, "notified", Some(reason), findings)
            },
            after: vec![],
        },
        Case {
            file: "codedeploy-create-application.json",
            arns: |_| vec![],
            // A bare 12-digit number in a name field has no account context.
            expect: |e, _| outcome(e, "compliant", None, vec![]),
            after: vec![],
        },
        Case {
            file: "clean-tags.json",
            arns: |e| vec![format!("arn:aws:s3:::{}", s(&params(e)["bucketName"]))],
            expect: |e, _| outcome(e, "compliant", None, vec![]),
            after: vec![(0, "env", "prod"), (0, "team", "data")],
        },
        Case {
            file: "failed-call.json",
            arns: |_| vec![],
            expect: |e, _| {
                outcome(
                    e,
                    "skipped",
                    Some("the call failed (AccessDenied), so nothing changed"),
                    vec![],
                )
            },
            after: vec![],
        },
    ]
}

/// The settings a case runs with.
pub fn settings(mode: &str) -> Vec<(String, String)> {
    fixtures::settings(mode, SELF_ROLE, &[])
}
