//! The built `tag-guard` binary through a local Lambda Runtime API over
//! every file in `events/tag-guard` against moto, and the leak test: a
//! planted secret must appear nowhere Warden writes.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use warden_tests::fixtures::{function_env, unique_id};
use warden_tests::{InvocationResult, run_function};

const BINARY: &str = env!("CARGO_BIN_EXE_tag-guard");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_through_the_runtime_loop() {
    let emu = emulator().await;
    let all = cases();
    let events: Vec<Value> = all
        .iter()
        .map(|case| seeded(&emu.endpoint, case.file))
        .collect();

    let run = run_function(
        Path::new(BINARY),
        &function_env(&emu.endpoint, settings("remediate")),
        &events,
    )
    .await
    .expect("the function ran");

    assert_eq!(run.exit_status, None, "stderr:\n{}", run.stderr);
    for ((case, event), invocation) in all.iter().zip(&events).zip(&run.invocations) {
        let arns = (case.arns)(event);
        match &invocation.result {
            InvocationResult::Response(outcome) => {
                assert_eq!(outcome, &(case.expect)(event, &arns), "{}", case.file)
            }
            InvocationResult::Error {
                error_type,
                error_message,
            } => panic!("{}: {error_type}: {error_message}", case.file),
        }
        for (index, key, value) in &case.after {
            let tags = tags_of(&emu.config, &arns[*index]).await;
            let found = tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
            assert_eq!(found, Some(*value), "{}: tag {key}", case.file);
        }
    }
    assert_eq!(run.invocations.len(), all.len());
}

/// A unique secret in a tag, the function run with debug logging in
/// `remediate` mode with alerts on: the secret, and any 8-character run of
/// it, must appear nowhere in the outcome, the logs, the metrics or the
/// alerts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detected_secret_never_leaks() {
    let emu = emulator().await;
    let token = format!("zq{}", unique_id());
    let email = format!("leak.{token}@customer-corp.com");
    let key_id = format!(
        "AKIA{:0>16}",
        token
            .to_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect::<String>()
    );
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/tag-guard/rgta-tag-resources.json"
    ))
    .unwrap()
    .replace("cto@customer-corp.com", &email)
    .replace("cc-42", &key_id);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join(format!("leak-{token}.json"));
    std::fs::write(&file, text).unwrap();
    let relative = pathdiff(&file);
    let event =
        warden_tests::seed::seed_event(&emu.endpoint, &relative, &unique_id()).expect("seeded");

    // Named apart from the secret: resource names may well be logged.
    let name = format!("leak-alerts-{}", unique_id());
    let alerts = warden_tests::Alerts::subscribe(&emu.config, &name).await;
    let topic = alerts.topic_arn.clone();
    let mut env = function_env(&emu.endpoint, settings("remediate"));
    env.push(("WARDEN_TOPIC_ARN".into(), topic));
    env.push(("AWS_LAMBDA_LOG_LEVEL".into(), "debug".into()));
    env.push(("RUST_LOG".into(), "debug".into()));

    let run = run_function(Path::new(BINARY), &env, std::slice::from_ref(&event))
        .await
        .expect("the function ran");

    let outcome = run.invocations[0]
        .result
        .response()
        .expect("an outcome")
        .clone();
    assert_eq!(outcome["status"], "remediated", "{outcome}");
    assert_eq!(
        outcome["findings"].as_array().unwrap().len(),
        4,
        "the email and the key on both resources"
    );
    let alerts = alerts.received().await;
    assert_eq!(alerts.len(), 4, "one alert per finding");
    assert!(
        run.stdout.lines().count() > 10,
        "debug logging was on:\n{}",
        run.stdout
    );

    let everything = [
        outcome.to_string(),
        run.stdout.clone(),
        run.stderr.clone(),
        alerts.join("\n"),
    ]
    .join("\n");
    for secret in [email.as_str(), key_id.as_str(), token.as_str()] {
        for window in secret.as_bytes().windows(8) {
            let run_of = std::str::from_utf8(window).unwrap();
            let public = "@customer-corp.com";
            if public.contains(run_of)
                || (run_of.starts_with("AKIA") && run_of[4..].chars().all(|c| c == '0'))
            {
                continue; // the public parts of the values: the domain, the key id's fixed prefix
            }
            assert!(
                !everything.contains(run_of),
                "`{run_of}` of a detected secret leaked"
            );
        }
    }
}

/// `path` relative to the workspace root, as the seeder takes it.
fn pathdiff(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    path.canonicalize()
        .unwrap()
        .strip_prefix(&root)
        .expect("inside the workspace")
        .display()
        .to_string()
}
