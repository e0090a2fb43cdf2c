//! Proves the harness itself: moto answers S3 calls, and the local Runtime API
//! drives a real `lambda_runtime` function (tests/src/bin/echo_function.rs).

// Tests and benchmarks: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use warden_tests::{
    FunctionRun, HarnessError, lambda_env, moto, run_function, run_function_with_timeout, s3,
    sdk_config, start_private,
};

const ECHO: &str = env!("CARGO_BIN_EXE_warden-echo-function");

/// Fails, showing the whole of `stderr`, unless it holds `text`.
#[track_caller]
fn assert_in_stderr(stderr: &str, text: &str) {
    assert!(stderr.contains(text), "{stderr}");
}

/// The echo function given one event under `env`, which keeps it from
/// answering: the run ends with no invocation.
async fn echo_without_an_answer(env: &[(String, String)]) -> FunctionRun {
    let run = run_function(Path::new(ECHO), env, &[json!({})])
        .await
        .expect("the run ends");
    assert!(run.invocations.is_empty());
    run
}

#[tokio::test]
async fn moto_serves_s3() {
    let moto = moto();
    let s3 = s3(&sdk_config(moto.endpoint()).await);
    // The shared server is used by concurrent tests: use a name of our own.
    let bucket = "warden-harness-moto-serves-s3";
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create_bucket on moto");
    let listed = s3
        .list_buckets()
        .send()
        .await
        .expect("list_buckets on moto");
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(names.contains(&bucket), "{names:?}");
}

#[test]
fn private_moto_resets_and_stops_on_drop() {
    let private = start_private().expect("start a private moto");
    let endpoint = private.endpoint().to_string();
    assert_ne!(endpoint, moto().endpoint());
    let log = private
        .log_file()
        .expect("a started moto has a log")
        .to_path_buf();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let bucket_count = || {
        runtime.block_on(async {
            let s3 = s3(&sdk_config(&endpoint).await);
            let listed = s3.list_buckets().send().await.expect("list_buckets");
            listed.buckets().len()
        })
    };
    runtime.block_on(async {
        let s3 = s3(&sdk_config(&endpoint).await);
        s3.create_bucket()
            .bucket("to-be-reset")
            .send()
            .await
            .expect("create_bucket");
    });
    assert_eq!(bucket_count(), 1);
    private.reset();
    assert_eq!(bucket_count(), 0);

    drop(private);
    let err = warden_tests::moto::connect(&endpoint).expect_err("a dropped moto is stopped");
    assert!(err.to_string().contains(&endpoint), "{err}");
    assert!(log.is_file(), "the moto log is kept for debugging");
}

#[tokio::test]
async fn echo_function_answers_events_in_order() {
    let events = [
        json!({"n": 1, "text": "first"}),
        json!({"fail": true}),
        json!({"n": 2, "nested": {"list": [1, 2, 3]}}),
    ];
    let run = run_function(Path::new(ECHO), &lambda_env(moto().endpoint()), &events)
        .await
        .expect("the echo function runs");

    assert_eq!(run.invocations.len(), 3, "stderr:\n{}", run.stderr);
    assert_eq!(run.invocations[0].expect_response(), &events[0]);
    assert_eq!(run.invocations[2].expect_response(), &events[2]);
    let failed = &run.invocations[1];
    let (error_type, error_message) = failed.expect_error();
    assert_eq!(error_type, "EchoFailure");
    assert_eq!(
        error_message,
        format!("failure requested by event {}", failed.request_id)
    );
    assert_eq!(failed.function_error_type.as_deref(), Some("unhandled"));
    let ids: std::collections::HashSet<_> = run.invocations.iter().map(|i| &i.request_id).collect();
    assert_eq!(ids.len(), 3, "request ids are unique");

    assert!(run.init_error.is_none());
    assert!(
        run.exit_status.is_none(),
        "the harness stopped the function"
    );
    assert!(run.timings.first_next.is_some());
    assert!(run.timings.first_event_done >= run.timings.first_next);
    assert_eq!(run.timings.per_event.len(), 3);
    assert!(run.peak_rss_kib.is_some_and(|kib| kib > 0));

    let logs = run.log_lines();
    let logged: Vec<&str> = logs
        .iter()
        .filter_map(|l| l["requestId"].as_str())
        .collect();
    let expected: Vec<&str> = run
        .invocations
        .iter()
        .map(|i| i.request_id.as_str())
        .collect();
    assert_eq!(logged, expected, "stdout:\n{}", run.stdout);
    assert_in_stderr(&run.stderr, "echo-function: starting");
}

#[tokio::test]
async fn function_exiting_at_start_is_reported_not_awaited() {
    // lambda_runtime panics in Config::from_env when the memory size is not a number.
    let env = [(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".to_string(),
        "lots".to_string(),
    )];
    let run = echo_without_an_answer(&env).await;
    let status = run.exit_status.expect("the function exited by itself");
    assert!(!status.success());
    assert_in_stderr(&run.stderr, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
}

#[tokio::test]
async fn init_error_is_captured() {
    // The function posts its init error and exits at once, so the harness
    // sees the report and the exit together; repeated, because the report
    // was once lost when the exit was noticed first (a scheduling race).
    let env = [("WARDEN_ECHO_INIT_ERROR".to_string(), "1".to_string())];
    for attempt in 0..20 {
        let run = echo_without_an_answer(&env).await;
        let init_error = run
            .init_error
            .unwrap_or_else(|| panic!("attempt {attempt}: the posted init error was lost"));
        assert_eq!(init_error["errorType"], Value::from("Runtime.ConfigError"));
        assert!(run.exit_status.is_some_and(|s| !s.success()));
    }
}

#[tokio::test]
async fn slow_function_times_out_with_its_stderr() {
    let started = std::time::Instant::now();
    let err = run_function_with_timeout(
        Path::new(ECHO),
        &[],
        &[json!({"sleep_ms": 30_000})],
        Duration::from_secs(2),
    )
    .await
    .expect_err("the event takes longer than the timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
    match &err {
        HarnessError::Timeout { stderr, .. } => assert_in_stderr(stderr, "echo-function: handling"),
        other => panic!("expected a timeout, got {other}"),
    }
}
