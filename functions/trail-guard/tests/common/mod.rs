//! Fixtures shared by the emulator and runtime-loop suites: the event files,
//! how to seed a trail for each (a healthy, logging trail, then the call the
//! event records, made for real against the emulator), the exact outcome each
//! must produce, and an independent read-back of the trail through the SDK.
#![allow(dead_code)]

use aws_config::SdkConfig;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::config::Region;
use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
use aws_sdk_cloudtrail::types::{
    AdvancedEventSelector, AdvancedFieldSelector, DataResource, EventSelector, ReadWriteType, Tag,
};
use serde_json::{Value, json};
use warden_tests::fixtures::{self, GuardEvents, unique};

pub const SELF_ROLE: &str =
    "arn:aws:iam::123456789012:role/warden-TrailGuardFunctionRole-1A2B3C4D5E6F";
pub const ACCOUNT: &str = "123456789012";
/// The trail name in the sample events; tests substitute their own.
pub const EVENT_TRAIL: &str = "warden-demo-trail";

pub fn kms_key(region: &str) -> String {
    format!("arn:aws:kms:{region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
}

pub const EVENTS: GuardEvents = GuardEvents {
    guard: "trail-guard",
    sample: EVENT_TRAIL,
};

/// An event file with the sample trail name replaced by `trail` (in names,
/// ARNs and response elements alike).
pub fn event(file: &str, trail: &str) -> Value {
    EVENTS.load(file, trail)
}

pub fn outcome(event: &Value, status: &str, reason: Option<&str>, findings: Vec<Value>) -> Value {
    fixtures::outcome("trail-guard", event, status, reason, findings)
}

pub struct Emulator {
    pub endpoint: String,
    pub config: SdkConfig,
    pub s3: aws_sdk_s3::Client,
}

pub async fn emulator() -> Emulator {
    let endpoint = warden_tests::moto().endpoint().to_string();
    let config = warden_tests::aws::sdk_config(&endpoint).await;
    let s3 = warden_tests::aws::s3(&config);
    Emulator {
        endpoint,
        config,
        s3,
    }
}

/// A CloudTrail client for `region` (moto keeps trails per region, as AWS
/// does: a trail is read and changed in its home region).
pub fn cloudtrail(config: &SdkConfig, region: &str) -> Client {
    Client::from_conf(
        aws_sdk_cloudtrail::config::Builder::from(config)
            .region(Region::new(region.to_string()))
            .build(),
    )
}

/// The trail the event names: its home region and ARN.
pub fn home(event: &Value) -> (String, String) {
    let params = &event["detail"]["requestParameters"];
    let named = params["name"]
        .as_str()
        .or(params["trailName"].as_str())
        .expect("the event names a trail");
    if named.starts_with("arn:") {
        let region = named.split(':').nth(3).expect("a region in the ARN");
        (region.to_string(), named.to_string())
    } else {
        let region = event["detail"]["awsRegion"].as_str().expect("awsRegion");
        (
            region.to_string(),
            format!("arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/{named}"),
        )
    }
}

pub fn arn(region: &str, trail: &str) -> String {
    format!("arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/{trail}")
}

// ---- seeding -------------------------------------------------------------

/// The state a trail is put in before its event runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// A healthy trail (logging, multi-region with global events, log file
    /// validation, a KMS key, AWS's default event selector), then the call
    /// the event records, when it succeeded.
    Weakened,
    /// The same without a KMS key.
    WeakenedNoKey,
    /// No trail at all.
    Nothing,
}

/// Creates `trail` in `region` (and its log bucket), healthy and logging.
pub async fn create_healthy(
    emu: &Emulator,
    region: &str,
    trail: &str,
    kms: bool,
    tags: &[(&str, &str)],
) {
    let bucket = format!("{trail}-logs");
    emu.s3
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("CreateBucket");
    let ct = cloudtrail(&emu.config, region);
    let tags: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
        .collect();
    ct.create_trail()
        .name(trail)
        .s3_bucket_name(&bucket)
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .enable_log_file_validation(true)
        .set_kms_key_id(kms.then(|| kms_key(region)))
        .set_tags_list(Some(tags))
        .send()
        .await
        .expect("CreateTrail");
    ct.put_event_selectors()
        .trail_name(trail)
        .event_selectors(
            EventSelector::builder()
                .read_write_type(ReadWriteType::All)
                .include_management_events(true)
                .build(),
        )
        .send()
        .await
        .expect("PutEventSelectors (the default)");
    ct.start_logging()
        .name(trail)
        .send()
        .await
        .expect("StartLogging");
}

/// Makes the call `event` records, as its caller did, when it succeeded and
/// was not Warden's own.
pub async fn replay_call(emu: &Emulator, event: &Value) {
    let detail = &event["detail"];
    if detail.get("errorCode").is_some()
        || detail["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == SELF_ROLE
    {
        return;
    }
    let (region, arn) = home(event);
    let ct = cloudtrail(&emu.config, &region);
    let params = &detail["requestParameters"];
    match detail["eventName"].as_str().expect("eventName") {
        "StopLogging" => {
            ct.stop_logging()
                .name(&arn)
                .send()
                .await
                .expect("StopLogging");
        }
        "UpdateTrail" => {
            ct.update_trail()
                .name(&arn)
                .set_enable_log_file_validation(params["enableLogFileValidation"].as_bool())
                .set_is_multi_region_trail(params["isMultiRegionTrail"].as_bool())
                .send()
                .await
                .expect("UpdateTrail");
        }
        "PutEventSelectors" => {
            let basic: Option<Vec<EventSelector>> =
                params["eventSelectors"].as_array().map(|selectors| {
                    selectors
                        .iter()
                        .map(|s| {
                            let resources = s["dataResources"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|r| {
                                    DataResource::builder()
                                        .r#type(r["type"].as_str().unwrap())
                                        .set_values(Some(strings(&r["values"])))
                                        .build()
                                })
                                .collect();
                            EventSelector::builder()
                                .read_write_type(ReadWriteType::from(
                                    s["readWriteType"].as_str().unwrap(),
                                ))
                                .include_management_events(
                                    s["includeManagementEvents"].as_bool().unwrap(),
                                )
                                .set_data_resources(Some(resources))
                                .build()
                        })
                        .collect()
                });
            let advanced: Option<Vec<AdvancedEventSelector>> = params["advancedEventSelectors"]
                .as_array()
                .map(|selectors| {
                    selectors
                        .iter()
                        .map(|s| {
                            let fields = s["fieldSelectors"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|f| {
                                    AdvancedFieldSelector::builder()
                                        .field(f["field"].as_str().unwrap())
                                        .set_equals(f.get("equals").map(strings))
                                        .set_not_equals(f.get("notEquals").map(strings))
                                        .build()
                                        .unwrap()
                                })
                                .collect();
                            AdvancedEventSelector::builder()
                                .set_name(s["name"].as_str().map(str::to_string))
                                .set_field_selectors(Some(fields))
                                .build()
                                .unwrap()
                        })
                        .collect()
                });
            ct.put_event_selectors()
                .trail_name(&arn)
                .set_event_selectors(basic)
                .set_advanced_event_selectors(advanced)
                .send()
                .await
                .expect("PutEventSelectors");
        }
        "DeleteTrail" => {
            // moto deletes by name only (an ARN is silently ignored), so the
            // seed uses the name; AWS accepts either.
            let name = arn.rsplit('/').next().unwrap();
            ct.delete_trail()
                .name(name)
                .send()
                .await
                .expect("DeleteTrail");
        }
        other => panic!("no replay for {other}"),
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

pub async fn seed(emu: &Emulator, trail: &str, seed: Seed, event: &Value) {
    if seed == Seed::Nothing {
        return;
    }
    let (region, _) = home(event);
    create_healthy(emu, &region, trail, seed == Seed::Weakened, &[]).await;
    replay_call(emu, event).await;
}

// ---- reading back ----------------------------------------------------------

/// A trail's state as the SDK reports it, independent of the guard's own
/// adapter. `None` when there is no such trail in its home region.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub is_logging: bool,
    pub settings: Value,
    pub selectors: Value,
}

pub async fn view(emu: &Emulator, region: &str, trail: &str) -> Option<View> {
    let ct = cloudtrail(&emu.config, region);
    let trail_arn = arn(region, trail);
    let got = match ct.get_trail().name(&trail_arn).send().await {
        Ok(out) => out,
        Err(e) if e.code() == Some("TrailNotFoundException") => return None,
        Err(e) => panic!("GetTrail {trail_arn}: {e:?}"),
    };
    let t = got.trail().expect("a trail");
    let status = ct
        .get_trail_status()
        .name(&trail_arn)
        .send()
        .await
        .expect("GetTrailStatus");
    let selectors = ct
        .get_event_selectors()
        .trail_name(&trail_arn)
        .send()
        .await
        .expect("GetEventSelectors");
    Some(View {
        is_logging: status.is_logging().expect("IsLogging"),
        settings: json!({
            "S3BucketName": t.s3_bucket_name(),
            "S3KeyPrefix": t.s3_key_prefix(),
            "IsMultiRegionTrail": t.is_multi_region_trail(),
            "IncludeGlobalServiceEvents": t.include_global_service_events(),
            "LogFileValidationEnabled": t.log_file_validation_enabled(),
            "KmsKeyId": t.kms_key_id(),
        }),
        selectors: json!({
            "basic": selectors.event_selectors().iter().map(|s| json!({
                "ReadWriteType": s.read_write_type().map(|r| r.as_str()),
                "IncludeManagementEvents": s.include_management_events(),
                "DataResources": s.data_resources().iter().map(|r| r.r#type()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "advanced": selectors.advanced_event_selectors().iter().map(|s| s.name()).collect::<Vec<_>>(),
        }),
    })
}

// ---- expected outcomes --------------------------------------------------------

pub const SELECTORS_WHY: &str = "changed event selectors are not undone: Warden cannot tell which selectors the trail had before (restore them with PutEventSelectors)";
pub const DELETED_WHY: &str = "a deleted trail cannot be restored, and Warden never creates a trail of its own: recreate it from its source and review what happened while it was gone";
pub const KMS_WHY: &str = "Warden does not choose a KMS key for a trail (the key policy must let CloudTrail use it): set one with UpdateTrail --kms-key-id";

pub fn logging_finding(arn: &str, applied: bool) -> Value {
    json!({"rule": "trail-logging", "resource": arn,
           "evidence": "StopLogging stopped the trail: it was logging until then and is not logging now",
           "changes": [{"action": "start-logging", "before": {"IsLogging": false}, "after": {"IsLogging": true}}],
           "applied": applied, "severity": "high"})
}

pub fn validation_finding(arn: &str, applied: bool) -> Value {
    json!({"rule": "log-file-validation", "resource": arn,
           "evidence": "UpdateTrail turned log file validation off (enableLogFileValidation: false); it is still off",
           "changes": [{"action": "update-trail", "before": {"LogFileValidationEnabled": false}, "after": {"LogFileValidationEnabled": true}}],
           "applied": applied, "severity": "medium"})
}

pub fn multi_region_finding(arn: &str, region: &str, applied: bool) -> Value {
    json!({"rule": "multi-region", "resource": arn,
           "evidence": format!("UpdateTrail made the trail single-region (isMultiRegionTrail: false); it now records events in {region} only"),
           "changes": [{"action": "update-trail", "before": {"IsMultiRegionTrail": false, "IncludeGlobalServiceEvents": true},
                        "after": {"IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true}}],
           "applied": applied, "severity": "high"})
}

pub fn selectors_finding(arn: &str, summary: &str) -> Value {
    json!({"rule": "management-events", "resource": arn,
           "evidence": format!("the trail no longer records write management events: PutEventSelectors set {summary}"),
           "changes": [], "applied": false, "severity": "high"})
}

pub fn deleted_finding(arn: &str, named_as: &str) -> Value {
    json!({"rule": "trail-deleted", "resource": arn,
           "evidence": format!("DeleteTrail deleted the trail (requestParameters.name: {named_as}); nothing is recorded for it any more and its settings are gone"),
           "changes": [], "applied": false, "severity": "critical"})
}

pub fn encryption_finding(arn: &str) -> Value {
    json!({"rule": "log-encryption", "resource": arn,
           "evidence": "the trail's log files are not encrypted with a KMS key (SSE-KMS); they have only the S3 bucket's default encryption",
           "changes": [], "applied": false, "severity": "medium"})
}

/// One event file: how its trail is seeded, the settings it runs under, and
/// what must come out in `remediate` mode.
pub struct Case {
    pub file: &'static str,
    pub seed: Seed,
    pub env: Vec<(&'static str, &'static str)>,
    /// The outcome, given the trail name and the event.
    pub expect: fn(&str, &Value) -> Value,
    /// The trail after remediation, given the trail before (`None`: absent).
    pub after: fn(Option<View>) -> Option<View>,
}

fn unchanged(before: Option<View>) -> Option<View> {
    before
}

fn logging_again(before: Option<View>) -> Option<View> {
    let mut view = before.expect("the trail exists");
    view.is_logging = true;
    Some(view)
}

/// The table every suite runs: one case per file in `events/trail-guard`.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "stop-logging-by-name.json",
            seed: Seed::Weakened,
            env: vec![],
            expect: |t, e| {
                outcome(
                    e,
                    "remediated",
                    None,
                    vec![logging_finding(&arn("us-east-1", t), true)],
                )
            },
            after: logging_again,
        },
        Case {
            file: "stop-logging-by-arn.json",
            seed: Seed::Weakened,
            env: vec![],
            // The trail lives in eu-west-1 only, and the function's own
            // region is us-east-1: the ARN has to route every call.
            expect: |t, e| {
                outcome(
                    e,
                    "remediated",
                    None,
                    vec![logging_finding(&arn("eu-west-1", t), true)],
                )
            },
            after: logging_again,
        },
        Case {
            file: "update-trail-disable-validation.json",
            seed: Seed::Weakened,
            env: vec![],
            expect: |t, e| {
                outcome(
                    e,
                    "remediated",
                    None,
                    vec![validation_finding(&arn("us-east-1", t), true)],
                )
            },
            after: |before| {
                let mut view = before.expect("the trail exists");
                view.settings["LogFileValidationEnabled"] = json!(true);
                Some(view)
            },
        },
        Case {
            file: "update-trail-single-region.json",
            seed: Seed::Weakened,
            env: vec![],
            expect: |t, e| {
                outcome(
                    e,
                    "remediated",
                    None,
                    vec![multi_region_finding(
                        &arn("us-east-1", t),
                        "us-east-1",
                        true,
                    )],
                )
            },
            after: |before| {
                let mut view = before.expect("the trail exists");
                view.settings["IsMultiRegionTrail"] = json!(true);
                view.settings["IncludeGlobalServiceEvents"] = json!(true);
                Some(view)
            },
        },
        Case {
            file: "put-event-selectors-no-management-events.json",
            seed: Seed::Weakened,
            env: vec![],
            expect: |t, e| {
                let summary = "eventSelectors [readWriteType=ReadOnly includeManagementEvents=false dataResources=AWS::S3::Object,AWS::Lambda::Function]";
                outcome(
                    e,
                    "notified",
                    Some(SELECTORS_WHY),
                    vec![selectors_finding(&arn("us-east-1", t), summary)],
                )
            },
            after: unchanged,
        },
        Case {
            file: "put-event-selectors-advanced-data-only.json",
            seed: Seed::Weakened,
            env: vec![],
            expect: |t, e| {
                let summary = "advancedEventSelectors [\"S3 object writes only\": eventCategory=Data and resources.type=AWS::S3::Object and readOnly=false]";
                outcome(
                    e,
                    "notified",
                    Some(SELECTORS_WHY),
                    vec![selectors_finding(&arn("us-east-1", t), summary)],
                )
            },
            after: unchanged,
        },
        Case {
            file: "delete-trail.json",
            seed: Seed::Weakened,
            env: vec![],
            expect: |t, e| {
                outcome(
                    e,
                    "notified",
                    Some(DELETED_WHY),
                    vec![deleted_finding(&arn("us-east-1", t), t)],
                )
            },
            after: unchanged,
        },
        Case {
            file: "failed-stop-logging.json",
            seed: Seed::Weakened,
            env: vec![],
            expect: |_, e| {
                outcome(
                    e,
                    "skipped",
                    Some("the call failed (AccessDenied), so nothing changed"),
                    vec![],
                )
            },
            after: unchanged,
        },
        Case {
            file: "warden-own-role.json",
            seed: Seed::Weakened,
            env: vec![],
            expect: |_, e| {
                let reason = format!(
                    "caused by Warden itself ({})",
                    e["detail"]["userIdentity"]["arn"].as_str().unwrap()
                );
                outcome(e, "skipped", Some(&reason), vec![])
            },
            after: unchanged,
        },
        Case {
            file: "stop-logging-organization-trail.json",
            seed: Seed::Nothing,
            env: vec![],
            expect: |_, e| {
                outcome(
                    e,
                    "skipped",
                    Some(
                        "arn:aws:cloudtrail:us-east-1:111122223333:trail/warden-org-trail belongs to account 111122223333, \
                         not 123456789012: an organization trail seen from a member account is guarded in the account that owns it",
                    ),
                    vec![],
                )
            },
            after: unchanged,
        },
    ]
}

/// Seeds the case's trail under a fresh name and returns (trail, event,
/// state before); no state when the case seeds nothing.
pub async fn prepare(emu: &Emulator, case: &Case, tag: &str) -> (String, Value, Option<View>) {
    let trail = unique(tag);
    let event = event(case.file, &trail);
    seed(emu, &trail, case.seed, &event).await;
    let (region, _) = home(&event);
    let before = if case.seed == Seed::Nothing {
        None
    } else {
        view(emu, &region, &trail).await
    };
    (trail, event, before)
}

/// [`prepare`] for every case of a group, in order.
pub async fn prepare_all(
    emu: &Emulator,
    group: &[&Case],
    tag: &str,
) -> Vec<(String, Value, Option<View>)> {
    let mut prepared = Vec::new();
    for case in group {
        prepared.push(prepare(emu, case, tag).await);
    }
    prepared
}

/// The settings a case runs with: `mode`, Warden's own role, and the case's own.
pub fn settings(mode: &str, case_env: &[(&str, &str)]) -> Vec<(String, String)> {
    fixtures::settings(mode, SELF_ROLE, case_env)
}
