//! The tag-guard part of `warden-local`: three resources tagged with a
//! customer's e-mail address, an AWS account number and a URL with
//! credentials (each made real in the emulator by `tests/seed_moto.py`), run
//! through the real tag-guard binary in `observe` mode (no tag may change)
//! and then `remediate` mode (each value must be redacted, every other tag
//! kept). Tags are read back with the SDK after each pass.

use std::path::Path;

use serde_json::Value;
use warden_tests::{InvocationResult, lambda_env, run_function};

/// A tag that must be kept as it is: (key, value).
type Kept = Option<(&'static str, &'static str)>;

/// (event file, the tag that holds the planted value, the tag that must stay).
const CASES: [(&str, &str, Kept); 3] = [
    (
        "s3-put-bucket-tagging.json",
        "contact",
        Some(("env", "prod")),
    ),
    ("dynamodb-tag-resource.json", "AccountId", None),
    ("iam-tag-role.json", "repo", None),
];

struct Seeded {
    file: &'static str,
    arn: String,
    key: &'static str,
    kept: Kept,
    event: Value,
}

pub async fn run(function: &Path, endpoint: &str) -> Result<bool, String> {
    println!("function: {}", function.display());
    let config = warden_tests::sdk_config(endpoint).await;
    let suffix = warden_tests::seed::unique_suffix();
    let mut seeded = Vec::new();
    for (file, key, kept) in CASES {
        let event =
            warden_tests::seed::seed_event(endpoint, &format!("events/tag-guard/{file}"), &suffix)
                .map_err(|e| format!("seeding {file}: {e}"))?;
        let params = &event["detail"]["requestParameters"];
        let arn = match params.get("bucketName").and_then(Value::as_str) {
            Some(bucket) => format!("arn:aws:s3:::{bucket}"),
            None => match params.get("roleName").and_then(Value::as_str) {
                Some(role) => format!("arn:aws:iam::123456789012:role/{role}"),
                None => params["resourceArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            },
        };
        seeded.push(Seeded {
            file,
            arn,
            key,
            kept,
            event,
        });
    }
    let events: Vec<Value> = seeded.iter().map(|s| s.event.clone()).collect();

    let mut before = Vec::new();
    for s in &seeded {
        before.push(tags_of(&config, &s.arn).await?);
    }
    let observe = pass(function, endpoint, "observe", &events).await?;
    let mut after_observe = Vec::new();
    for s in &seeded {
        after_observe.push(tags_of(&config, &s.arn).await?);
    }
    let remediate = pass(function, endpoint, "remediate", &events).await?;
    let mut after_remediate = Vec::new();
    for s in &seeded {
        after_remediate.push(tags_of(&config, &s.arn).await?);
    }

    let mut held = true;
    for (i, s) in seeded.iter().enumerate() {
        let value = |tags: &[(String, String)], key: &str| {
            tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        };
        let (b, o, r) = (
            value(&before[i], s.key),
            value(&after_observe[i], s.key),
            value(&after_remediate[i], s.key),
        );
        println!("\n[{}] {} ({})", i + 1, s.arn, s.file);
        println!(
            "    tag {:<12} | {:<58} | {:<58} | after remediate",
            s.key, "before", "after observe"
        );
        println!("    {:-<16}-+-{:-<58}-+-{:-<58}-+-{:-<28}", "", "", "", "");
        println!(
            "    {:<16} | {:<58} | {:<58} | {}",
            "",
            b.as_deref().unwrap_or("-"),
            o.as_deref().unwrap_or("-"),
            r.as_deref().unwrap_or("-")
        );
        println!("    observe   {}", observe[i]);
        println!("    remediate {}", remediate[i]);
        let redacted = r.as_deref().is_some_and(|v| v.starts_with("[redacted:"));
        let kept = s
            .kept
            .is_none_or(|(k, v)| value(&after_remediate[i], k).as_deref() == Some(v));
        if o != b || !redacted || !kept || before[i] != after_observe[i] {
            held = false;
            println!(
                "    ✗ expected no change in observe, then `{}` redacted and every other tag kept",
                s.key
            );
        }
    }
    println!(
        "\ntag-guard: {}",
        if held {
            "observe changed no tag; remediate redacted every planted value and kept the rest"
        } else {
            "FAILED"
        }
    );
    Ok(held)
}

/// Runs one pass and returns a one-line summary per event.
async fn pass(
    function: &Path,
    endpoint: &str,
    mode: &str,
    events: &[Value],
) -> Result<Vec<String>, String> {
    let mut env = lambda_env(endpoint);
    env.push(("WARDEN_MODE".into(), mode.into()));
    let run = run_function(function, &env, events)
        .await
        .map_err(|e| format!("running tag-guard: {e}"))?;
    if run.invocations.len() != events.len() {
        return Err(format!(
            "tag-guard answered {} of {} events; stderr:\n{}",
            run.invocations.len(),
            events.len(),
            run.stderr
        ));
    }
    Ok(run
        .invocations
        .iter()
        .map(|invocation| match &invocation.result {
            InvocationResult::Response(outcome) => {
                let evidence: Vec<&str> = outcome["findings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["evidence"].as_str())
                    .collect();
                format!(
                    "{}: {}",
                    outcome["status"].as_str().unwrap_or("?"),
                    evidence.join("; ")
                )
            }
            InvocationResult::Error {
                error_type,
                error_message,
            } => format!("error {error_type}: {error_message}"),
        })
        .collect())
}

async fn tags_of(
    config: &aws_config::SdkConfig,
    arn: &str,
) -> Result<Vec<(String, String)>, String> {
    let mut tags: Vec<(String, String)> = if let Some(role) = arn.split(":role/").nth(1) {
        let out = aws_sdk_iam::Client::new(config)
            .list_role_tags()
            .role_name(role)
            .send()
            .await
            .map_err(|e| format!("ListRoleTags {role}: {e}"))?;
        out.tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    } else {
        let out = aws_sdk_resourcegroupstagging::Client::new(config)
            .get_resources()
            .resource_arn_list(arn)
            .send()
            .await
            .map_err(|e| format!("GetResources {arn}: {e}"))?;
        out.resource_tag_mapping_list()
            .iter()
            .flat_map(|m| {
                m.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
            })
            .collect()
    };
    tags.sort();
    Ok(tags)
}
