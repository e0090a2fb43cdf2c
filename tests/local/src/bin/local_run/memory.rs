//! The state table's part of the local run: bucket-guard with
//! `WARDEN_STATE_TABLE` fixes a bucket policy that does not deny TLS below
//! 1.2 (the same delivery twice: handled once), prints the change-to-fix
//! latency it measured, then the `rollback` function undoes that change by
//! its `change_id` (a dry run first), and the next event on the bucket
//! leaves the rolled-back rule alone. Judged from the policy text read back
//! with the SDK: after the rollback it must be byte for byte what it was.

use std::path::Path;

use serde_json::{Value, json};
use warden_tests::fixtures::function_env;
use warden_tests::{InvocationResult, run_function};

use crate::bucket;

const BUCKET: &str = "warden-local-rollback";

pub(crate) async fn run(bin_dir: &Path, endpoint: &str) -> Result<bool, String> {
    let config = warden_tests::aws::sdk_config(endpoint).await;
    let s3 = warden_tests::aws::s3(&config);
    let table = warden_tests::state::create_table(&config, "warden-local-state").await;
    bucket::create(&s3, BUCKET).await;
    bucket::set_encryption(&s3, BUCKET, "AES256", None).await;
    bucket::set_public_access_block(&s3, BUCKET, true).await;
    let own = json!({"Sid": "KeepMe", "Effect": "Deny", "Principal": "*",
        "Action": "s3:DeleteBucket", "Resource": bucket::arn(BUCKET)});
    let policy = json!({"Version": "2012-10-17",
        "Statement": [own, bucket::tls_required_statement(BUCKET)]});
    bucket::set_policy(&s3, BUCKET, &policy).await;
    let before = bucket::policy_text(&s3, BUCKET).await;

    let mut event = bucket::event("put-bucket-policy-without-tls.json", BUCKET);
    // Latency is measured from the call's eventTime: the call is "now".
    event["detail"]["eventTime"] = json!(warden_shared::state::format_time(
        warden_shared::state::now_ms()
    ));
    let table_env = [("WARDEN_STATE_TABLE", table.as_str())];
    let guard_env = function_env(endpoint, bucket::settings("remediate", &table_env));
    let guard = bin_dir.join("bucket-guard");
    let fixed = run_function(&guard, &guard_env, &[event.clone(), event.clone()])
        .await
        .map_err(|e| format!("running {}: {e}", guard.display()))?;
    let first = response(&fixed.invocations, 0)?;
    let second = response(&fixed.invocations, 1)?;
    let after_fix = bucket::policy_text(&s3, BUCKET).await;
    let change_id = first["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["rule"] == "tls-version")
        .and_then(|f| f["changes"][0]["change_id"].as_str())
        .ok_or_else(|| format!("bucket-guard answered no tls-version change id: {first}"))?
        .to_string();
    println!("  bucket-guard, remediate, with the state table:");
    println!(
        "    first delivery:  {} (tls-version fixed, change {change_id})",
        status(&first)
    );
    println!(
        "    same delivery:   {} ({})",
        status(&second),
        reason(&second)
    );
    for line in warden_tests::runtime_api::parse_log_lines(&fixed.stdout) {
        if let Some(ms) = line.get("ChangeToFixMs") {
            println!(
                "    ChangeToFixMs:   {ms} ms ({} / {}: eventTime to the confirmed read-back)",
                line["guard"].as_str().unwrap_or("?"),
                line["rule"].as_str().unwrap_or("?")
            );
        }
    }

    let rollback = bin_dir.join("rollback");
    let rollback_env = function_env(endpoint, vec![("WARDEN_STATE_TABLE".into(), table.clone())]);
    let requests = [
        json!({"change_id": change_id, "dry_run": true}),
        json!({"change_id": change_id}),
        json!({"change_id": change_id}),
    ];
    let rolled = run_function(&rollback, &rollback_env, &requests)
        .await
        .map_err(|e| format!("running {}: {e}", rollback.display()))?;
    let dry = response(&rolled.invocations, 0)?;
    let done = response(&rolled.invocations, 1)?;
    let again = response(&rolled.invocations, 2)?;
    let after_rollback = bucket::policy_text(&s3, BUCKET).await;
    println!("  rollback {change_id}:");
    println!("    dry run:         {}", status(&dry));
    println!("    rollback:        {}", status(&done));
    println!(
        "    once more:       {} ({})",
        status(&again),
        reason(&again)
    );

    let mut next = event.clone();
    next["detail"]["eventID"] = json!("warden-local-next-policy-event");
    let later = run_function(&guard, &guard_env, &[next])
        .await
        .map_err(|e| format!("running {}: {e}", guard.display()))?;
    let later = response(&later.invocations, 0)?;
    let after_next = bucket::policy_text(&s3, BUCKET).await;
    println!(
        "  the next event on the bucket: {} (tls-version is suppressed there after the rollback)",
        status(&later)
    );

    let sids = |text: &Option<String>| {
        text.as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .map_or("none".to_string(), |p| {
                p["Statement"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| s["Sid"].as_str().unwrap_or("?").to_string())
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
    };
    println!(
        "\n  {:<16}  {:<40}  {:<62}  {:<40}",
        "bucket policy", "before", "after the fix", "after rollback"
    );
    println!(
        "  {:<16}  {:<40}  {:<62}  {:<40}",
        "statements",
        sids(&before),
        sids(&after_fix),
        sids(&after_rollback)
    );
    println!(
        "  {:<16}  {:<40}  {:<62}  {:<40}",
        "text",
        "(as written)",
        if after_fix == before {
            "unchanged"
        } else {
            "changed"
        },
        if after_rollback == before {
            "byte for byte as before"
        } else {
            "DIFFERENT"
        }
    );

    let mut problems = Vec::new();
    if first["status"] != "remediated" || after_fix == before {
        problems.push(format!("bucket-guard did not fix the policy: {first}"));
    }
    if second["status"] != "skipped" {
        problems.push(format!("the second delivery was handled again: {second}"));
    }
    if dry["status"] != "would-roll-back" {
        problems.push(format!("the dry run answered {dry}"));
    }
    if done["status"] != "rolled-back" || after_rollback != before {
        problems.push(format!("the rollback did not restore the policy: {done}"));
    }
    if again["status"] != "refused" {
        problems.push(format!(
            "a second rollback of the change was not refused: {again}"
        ));
    }
    if after_next != before {
        problems.push(format!(
            "the next event put the rolled-back change back: {later}"
        ));
    }
    Ok(super::verdict(
        "memory",
        &problems,
        "one delivery handled once, the fix recorded and rolled back byte for byte, and kept rolled back",
        "FAILED",
    ))
}

fn response(invocations: &[warden_tests::Invocation], index: usize) -> Result<Value, String> {
    match invocations.get(index).map(|i| &i.result) {
        Some(InvocationResult::Response(value)) => Ok(value.clone()),
        Some(InvocationResult::Error {
            error_type,
            error_message,
        }) => Err(format!("invocation {index}: {error_type}: {error_message}")),
        None => Err(format!("invocation {index} was not answered")),
    }
}

/// An answer's `status`, `?` if it has none.
fn status(answer: &Value) -> &str {
    answer["status"].as_str().unwrap_or("?")
}

/// An answer's `reason`, empty if it gives none.
fn reason(answer: &Value) -> &str {
    answer["reason"].as_str().unwrap_or("")
}
