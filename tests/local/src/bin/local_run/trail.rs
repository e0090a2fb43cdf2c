//! trail-guard's part of `warden-local`: a trail that an intruder stopped.
//!
//! Seeds a healthy trail (and its log bucket) in the emulator at `endpoint`,
//! logging, then stops it the way `events/trail-guard/stop-logging-by-name.json`
//! records. Runs the real trail-guard binary through a local Lambda Runtime
//! API on that event twice: in `observe` mode (the trail must stay stopped)
//! and in `remediate` mode (it must be logging again). The trail is read back
//! with the SDK (`GetTrail`, `GetTrailStatus`) after each pass and shown as a
//! before/after table; whether it holds is judged from that read-back, not
//! from what the function says about itself.

use std::fmt::Write as _;
use std::path::Path;

use crate::answer::answers as answers_of;
use warden_tests::aws::sdk_error;
use warden_tests::fixtures::GuardEvents;
use warden_tests::{lambda_env, run_function};

/// Warden's own role (the loop guard); the demo event comes from `alice`.
const SELF_ARN: &str = "arn:aws:iam::123456789012:role/warden-TrailGuardFunctionRole-1A2B3C4D5E6F";
/// The trail name used in the sample events.
const EVENT_TRAIL: &str = "warden-demo-trail";

/// The sample events, whose resource name is replaced throughout (names,
/// ARNs, the Host header).
const EVENTS: GuardEvents = GuardEvents {
    guard: "trail-guard",
    sample: EVENT_TRAIL,
};
const EVENT_FILE: &str = "stop-logging-by-name.json";
const REGION: &str = "us-east-1";
const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// A trail as read back through the SDK.
#[derive(Debug, Clone, PartialEq)]
struct TrailView {
    is_logging: bool,
    log_file_validation: bool,
    multi_region: bool,
    kms_key: Option<String>,
    bucket: Option<String>,
}

/// Runs the trail part of the demo against the emulator at `endpoint` with
/// the trail-guard binary `function`. `Ok(true)` only if observe changed
/// nothing and answered `observed`, and remediate answered `remediated` and
/// the trail reads back as logging with every other setting as it was.
pub async fn run(function: &Path, endpoint: &str) -> Result<bool, String> {
    println!("\n== trail-guard: a CloudTrail trail that was stopped ==");
    println!("function: {}", function.display());
    let config = warden_tests::sdk_config(endpoint).await;
    let s3 = warden_tests::s3(&config);
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&config);

    let trail = format!("warden-local-trail-{}", std::process::id());
    let bucket = format!("{trail}-logs");
    let event = EVENTS.read(EVENT_FILE, &trail)?;

    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .map_err(|e| sdk_error("CreateBucket", &bucket, e))?;
    cloudtrail
        .create_trail()
        .name(&trail)
        .s3_bucket_name(&bucket)
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .enable_log_file_validation(true)
        .kms_key_id(KMS_KEY)
        .send()
        .await
        .map_err(|e| sdk_error("CreateTrail", &trail, e))?;
    cloudtrail
        .start_logging()
        .name(&trail)
        .send()
        .await
        .map_err(|e| sdk_error("StartLogging", &trail, e))?;
    let healthy = read_trail(&cloudtrail, &trail).await?;
    // The intruder's call, as the event records it.
    cloudtrail
        .stop_logging()
        .name(&trail)
        .send()
        .await
        .map_err(|e| sdk_error("StopLogging", &trail, e))?;
    let before = read_trail(&cloudtrail, &trail).await?;
    println!(
        "seeded trail {trail} ({REGION}, logs to s3://{bucket}), logging, then stopped it \
         (event {EVENT_FILE}: StopLogging by alice)"
    );

    let mut env = lambda_env(endpoint);
    env.push(("WARDEN_SELF_ARN".into(), SELF_ARN.into()));
    let mut answers = Vec::new();
    let mut states = Vec::new();
    for mode in ["observe", "remediate"] {
        let mut env = env.clone();
        env.push(("WARDEN_MODE".into(), mode.into()));
        let function_run = run_function(function, &env, std::slice::from_ref(&event))
            .await
            .map_err(|e| format!("running trail-guard ({mode}): {e}"))?;
        answers.extend(answers_of(&function_run, "trail-guard", 1, mode)?);
        states.push(read_trail(&cloudtrail, &trail).await?);
    }
    let (observe, remediate) = (&answers[0], &answers[1]);
    let (after_observe, after_remediate) = (&states[0], &states[1]);

    print_table(&before, after_observe, after_remediate);
    println!("    observe    {}", observe.describe());
    println!("    remediate  {}", remediate.describe());

    let mut failures = Vec::new();
    if !healthy.is_logging {
        failures
            .push("the seeded trail was not logging before it was stopped (bad seeding)".into());
    }
    if before.is_logging {
        failures.push("the seeded trail is still logging after StopLogging (bad seeding)".into());
    }
    let logging_finding = vec![("trail-logging".to_string(), false)];
    if observe.status() != "observed" || observe.findings() != logging_finding {
        failures.push(format!(
            "observe answered `{}`, expected `observed` with the trail-logging finding",
            observe.describe()
        ));
    }
    if *after_observe != before {
        failures.push(format!(
            "observe mode changed the trail: {before:?} became {after_observe:?}"
        ));
    }
    if remediate.status() != "remediated"
        || remediate.findings() != vec![("trail-logging".to_string(), true)]
    {
        failures.push(format!(
            "remediate answered `{}`, expected `remediated` with trail-logging applied",
            remediate.describe()
        ));
    }
    if !after_remediate.is_logging {
        failures.push("GetTrailStatus reads IsLogging: false after remediate".into());
    }
    if *after_remediate != healthy {
        failures.push(format!(
            "after remediate the trail is {after_remediate:?}, not as it was before it was stopped ({healthy:?})"
        ));
    }

    if failures.is_empty() {
        println!(
            "trail-guard: PASS: observe left the trail stopped; remediate restarted it \
             (IsLogging read back: true), nothing else changed"
        );
        Ok(true)
    } else {
        println!("trail-guard: FAIL ({} problems):", failures.len());
        for failure in &failures {
            println!("  - {failure}");
        }
        Ok(false)
    }
}

async fn read_trail(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    trail: &str,
) -> Result<TrailView, String> {
    let (got, status) = tokio::join!(
        cloudtrail.get_trail().name(trail).send(),
        cloudtrail.get_trail_status().name(trail).send(),
    );
    let got = got.map_err(|e| sdk_error("GetTrail", trail, e))?;
    let status = status.map_err(|e| sdk_error("GetTrailStatus", trail, e))?;
    let settings = got
        .trail()
        .ok_or_else(|| format!("GetTrail on {trail}: no trail in the answer"))?;
    Ok(TrailView {
        is_logging: status.is_logging().unwrap_or(false),
        log_file_validation: settings.log_file_validation_enabled().unwrap_or(false),
        multi_region: settings.is_multi_region_trail().unwrap_or(false),
        kms_key: settings
            .kms_key_id()
            .filter(|k| !k.is_empty())
            .map(str::to_string),
        bucket: settings.s3_bucket_name().map(str::to_string),
    })
}

fn print_table(before: &TrailView, after_observe: &TrailView, after_remediate: &TrailView) {
    let yes_no = |ok: bool, yes: &str, no: &str| {
        if ok {
            format!("✓ {yes}")
        } else {
            format!("✗ {no}")
        }
    };
    let row = |title: &str, show: &dyn Fn(&TrailView) -> String| {
        [
            title.to_string(),
            show(before),
            show(after_observe),
            show(after_remediate),
        ]
    };
    let rows = [
        [
            "setting".to_string(),
            "before".to_string(),
            "after observe".to_string(),
            "after remediate".to_string(),
        ],
        row("logging (GetTrailStatus)", &|t| {
            yes_no(t.is_logging, "logging", "stopped")
        }),
        row("log file validation", &|t| {
            yes_no(t.log_file_validation, "on", "off")
        }),
        row("multi-region", &|t| {
            yes_no(t.multi_region, "yes", "single region")
        }),
        row("KMS key for the logs", &|t| {
            yes_no(t.kms_key.is_some(), "set", "none")
        }),
        row("log bucket", &|t| t.bucket.clone().unwrap_or_default()),
    ];
    let widths: Vec<usize> = (0..4)
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::from("   ");
        for (col, cell) in row.iter().enumerate() {
            let pad = widths[col] - cell.chars().count();
            let _ = write!(line, " {cell}{} ", " ".repeat(pad));
            if col < 3 {
                line.push('|');
            }
        }
        println!("{}", line.trim_end());
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
            println!("   {}", rule.join("+"));
        }
    }
}
