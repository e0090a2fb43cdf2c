//! `sam local` for real: the built bucket-guard in a container on the local
//! base image (`tests/sam-local-image`), against a private moto on the host,
//! through `sam local invoke` and through `sam local start-lambda`.
//!
//! These need a usable Docker engine and the image (built as root the first
//! time), so `cargo test --workspace` leaves them out; `tests/run-sam-local`
//! builds what they need and runs them with `--ignored`. When anything is
//! missing they fail and say what, they never skip.
//!
//! `WARDEN_SAM_LOCAL_BIN_DIR` (default `target/debug`) names the binaries;
//! `WARDEN_SAM_LOCAL_ARCH` (default the host's) their architecture.

// Tests: a failed expectation is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use serde_json::Value;
use warden_tests::fixtures::{GuardEvents, function_env, settings, unique};
use warden_tests::sam_local::{Architecture, SamLocal, bin_dir_from_env};
use warden_tests::{Moto, s3, sdk_config, start_private_on};

const BUCKET_EVENTS: GuardEvents = GuardEvents {
    guard: "bucket-guard",
    sample: "warden-demo-bucket",
};
const BUCKET_GUARD: &str = "BucketGuardFunction";
const SELF_ROLE: &str =
    "arn:aws:iam::123456789012:role/warden-BucketGuardFunctionRole-1A2B3C4D5E6F";

/// The prepared functions and a moto the container can reach.
fn set_up() -> (SamLocal, Moto) {
    let architecture = Architecture::from_env().unwrap_or_else(|e| panic!("{e}"));
    let sam = SamLocal::prepare_only(&bin_dir_from_env(), &[BUCKET_GUARD], architecture)
        .unwrap_or_else(|e| panic!("{e}"));
    let moto = start_private_on(sam.host_address()).unwrap_or_else(|e| panic!("{e}"));
    (sam, moto)
}

/// bucket-guard's settings in remediate mode, against `moto`.
fn bucket_guard_env(moto: &Moto) -> Vec<(String, String)> {
    function_env(
        moto.endpoint(),
        settings(
            "remediate",
            SELF_ROLE,
            &[
                ("WARDEN_TOPIC_ARN", ""),
                ("WARDEN_MIN_ENCRYPTION", "sse-s3"),
                ("WARDEN_KMS_KEY_ARN", ""),
                ("WARDEN_REQUIRE_PUBLIC_ACCESS_BLOCK", "true"),
                ("WARDEN_EXEMPTION_TAG", "warden:exempt"),
            ],
        ),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A new bucket in moto and the `create-bucket.json` event naming it.
fn new_bucket(rt: &tokio::runtime::Runtime, moto: &Moto, tag: &str) -> (String, Value) {
    let bucket = unique(tag);
    rt.block_on(async {
        let s3 = s3(&sdk_config(moto.endpoint()).await);
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateBucket {bucket} in moto: {e:?}"));
    });
    let event = BUCKET_EVENTS.load("create-bucket.json", &bucket);
    (bucket, event)
}

/// The bucket's default encryption algorithm, read back with the SDK.
fn default_encryption(rt: &tokio::runtime::Runtime, moto: &Moto, bucket: &str) -> Option<String> {
    rt.block_on(async {
        let s3 = s3(&sdk_config(moto.endpoint()).await);
        let config = s3
            .get_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
            .ok()?;
        let rule = config
            .server_side_encryption_configuration()?
            .rules()
            .first()?;
        let default = rule.apply_server_side_encryption_by_default()?;
        Some(default.sse_algorithm().as_str().to_string())
    })
}

fn assert_remediated(outcome: &Value, bucket: &str, logs: &str) {
    assert_eq!(
        outcome["status"], "remediated",
        "the outcome for {bucket}: {outcome:#}\nlogs:\n{logs}"
    );
    assert_eq!(outcome["guard"], "bucket-guard", "{outcome:#}");
}

#[test]
#[ignore = "needs Docker and the sam local base image: run tests/run-sam-local"]
fn sam_local_invoke_remediates_a_new_bucket() {
    let (sam, moto) = set_up();
    let rt = runtime();
    let (bucket, event) = new_bucket(&rt, &moto, "saminv");

    let run = sam
        .run(BUCKET_GUARD, &event, &bucket_guard_env(&moto))
        .unwrap_or_else(|e| panic!("{e}"));
    let outcome = run
        .result
        .response()
        .unwrap_or_else(|| panic!("the function failed: {:?}\n{}", run.result, run.stderr));
    assert_remediated(outcome, &bucket, &run.stderr);
    assert_eq!(
        default_encryption(&rt, &moto, &bucket).as_deref(),
        Some("AES256"),
        "{bucket}'s default encryption after the fix"
    );
    assert!(
        run.log_lines().iter().any(|line| line["level"].is_string()),
        "the function's JSON log lines reach SAM's stderr:\n{}",
        run.stderr
    );
    println!(
        "sam local invoke {BUCKET_GUARD} ({}): {:.1}s in {} attempt(s); {}",
        sam.architecture().name(),
        run.elapsed.as_secs_f64(),
        run.attempts,
        run.report_line().unwrap_or("no REPORT line")
    );
    println!(
        "by hand: sam local invoke {BUCKET_GUARD} -t {} -e events/bucket-guard/create-bucket.json \
         --env-vars events/sam-local-env.json --invoke-image {} --skip-pull-image \
         --add-host host.docker.internal:{}",
        sam.user_template_path().display(),
        sam.image(),
        sam.host_address()
    );
}

#[test]
#[ignore = "needs Docker and the sam local base image: run tests/run-sam-local"]
fn sam_local_start_lambda_remediates_buckets_on_a_warm_container() {
    let (sam, moto) = set_up();
    let rt = runtime();
    let server = sam
        .start_lambda(&[(BUCKET_GUARD, bucket_guard_env(&moto))])
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "sam local start-lambda ({}): accepting invocations after {:.1}s at {}",
        sam.architecture().name(),
        server.started_in().as_secs_f64(),
        server.endpoint()
    );

    for n in 1..=3 {
        let (bucket, event) = new_bucket(&rt, &moto, &format!("samsl{n}"));
        let started = Instant::now();
        let outcome = server
            .invoke(BUCKET_GUARD, &event)
            .unwrap_or_else(|e| panic!("{e}"));
        let took = started.elapsed();
        assert_remediated(&outcome, &bucket, &server.logs());
        assert_eq!(
            default_encryption(&rt, &moto, &bucket).as_deref(),
            Some("AES256"),
            "{bucket}'s default encryption after the fix"
        );
        println!("start-lambda invoke {n}: {:.2}s", took.as_secs_f64());
    }
}
