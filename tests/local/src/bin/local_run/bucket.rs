//! The bucket-guard part of `warden-local`: four S3 buckets that each break a
//! bucket-guard rule, run through the real bucket-guard binary on a local
//! Lambda Runtime API twice over the matching CloudTrail events: once in
//! `observe` mode (nothing may change) and once in `remediate` mode (every
//! rule must hold afterwards). Every bucket's state is read back with the AWS
//! SDK after each pass and shown as a before/after table; whether a rule is
//! satisfied is decided here, from the read-back state, not from what the
//! function says about itself.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use crate::answer::{Answer, answers};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use serde_json::{Value, json};
use warden_tests::aws::sdk_error;
use warden_tests::fixtures::GuardEvents;
use warden_tests::{lambda_env, run_function};

/// The minimum encryption level this demo configures. SSE-KMS (with the
/// AWS-managed key) lets one configuration show both an unencrypted bucket
/// and one whose encryption was lowered to SSE-S3.
const MIN_ENCRYPTION: &str = "sse-kms";

/// Warden's own role (the loop guard); the demo events come from `alice`.
const SELF_ARN: &str = "arn:aws:iam::123456789012:role/warden-BucketGuardFunctionRole-1A2B3C4D5E6F";

/// The bucket name used in the sample events.
const EVENT_BUCKET: &str = "warden-demo-bucket";

/// The sample events, whose resource name is replaced throughout (names,
/// ARNs, the Host header).
const EVENTS: GuardEvents = GuardEvents {
    guard: "bucket-guard",
    sample: EVENT_BUCKET,
};

const RULES: [&str; 4] = [
    "default-encryption",
    "tls-required",
    "tls-version",
    "public-access-block",
];

/// One demo case: a bucket seeded to break a rule, and the event that
/// reports the change.
struct Case {
    label: &'static str,
    bucket: String,
    event_file: &'static str,
    event: Value,
    before: State,
    after_observe: State,
    after_remediate: State,
    observe: Option<Answer>,
    remediate: Option<Answer>,
}

pub async fn run(function: &Path, endpoint: &str) -> Result<bool, String> {
    println!("function: {}", function.display());
    let config = warden_tests::sdk_config(endpoint).await;
    let s3 = warden_tests::s3(&config);

    let pid = std::process::id();
    let mut cases = Vec::new();
    for (label, event_file) in [
        ("unencrypted", "create-bucket.json"),
        (
            "lowered-to-aes256",
            "put-bucket-encryption-kms-to-aes256.json",
        ),
        ("policy-without-tls", "put-bucket-policy-without-tls.json"),
        (
            "no-public-access-block",
            "delete-bucket-public-access-block.json",
        ),
    ] {
        let bucket = format!("warden-local-{label}-{pid}");
        let event = EVENTS.read(event_file, &bucket)?;
        cases.push(Case {
            label,
            bucket,
            event_file,
            event,
            before: State::default(),
            after_observe: State::default(),
            after_remediate: State::default(),
            observe: None,
            remediate: None,
        });
    }

    println!("\nseeding {} buckets:", cases.len());
    for case in &mut cases {
        seed(&s3, case).await?;
        case.before = read_state(&s3, &case.bucket).await?;
        println!(
            "  {:<24} {}  (event {})",
            case.label, case.bucket, case.event_file
        );
    }

    let mut env = lambda_env(endpoint);
    env.extend(
        [
            ("WARDEN_MIN_ENCRYPTION", MIN_ENCRYPTION),
            ("WARDEN_REQUIRE_PUBLIC_ACCESS_BLOCK", "true"),
            ("WARDEN_SELF_ARN", SELF_ARN),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    println!(
        "\nconfiguration: WARDEN_MIN_ENCRYPTION={MIN_ENCRYPTION} (at least SSE-KMS; no \
         WARDEN_KMS_KEY_ARN, so the AWS-managed key), WARDEN_REQUIRE_PUBLIC_ACCESS_BLOCK=true"
    );
    let events: Vec<Value> = cases.iter().map(|c| c.event.clone()).collect();

    for mode in ["observe", "remediate"] {
        let mut env = env.clone();
        env.push(("WARDEN_MODE".into(), mode.into()));
        println!(
            "\npass {}: WARDEN_MODE={mode}, one function process, {} events",
            if mode == "observe" { 1 } else { 2 },
            events.len()
        );
        let function_run = run_function(function, &env, &events)
            .await
            .map_err(|e| format!("running the function ({mode}): {e}"))?;
        let answers = answers(&function_run, "bucket-guard", events.len(), mode)?;
        if let Some(ms) = function_run.timings.first_next {
            println!(
                "  function up in {:.1} ms; events handled in {} ms",
                ms.as_secs_f64() * 1000.0,
                function_run
                    .timings
                    .per_event
                    .iter()
                    .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
                    .collect::<Vec<_>>()
                    .join(" / ")
            );
        }
        for (case, answer) in cases.iter_mut().zip(answers) {
            let state = read_state(&s3, &case.bucket).await?;
            if mode == "observe" {
                case.observe = Some(answer);
                case.after_observe = state;
            } else {
                case.remediate = Some(answer);
                case.after_remediate = state;
            }
        }
    }

    println!(
        "\nstate read back with the SDK after each pass; ✗ = the rule does not hold \
         (judged from that state, not from the function's outcome)"
    );
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        print_case(index, case);
        failures.extend(
            check(case)
                .into_iter()
                .map(|f| format!("{}: {f}", case.bucket)),
        );
    }

    let satisfied: usize = cases
        .iter()
        .map(|c| {
            RULES
                .iter()
                .filter(|r| rule_holds(r, &c.after_remediate, &c.bucket))
                .count()
        })
        .sum();
    let total = cases.len() * RULES.len();
    let count = |pass: fn(&Case) -> &Option<Answer>, status: &str| {
        cases
            .iter()
            .filter(|c| pass(c).as_ref().is_some_and(|a| a.status() == status))
            .count()
    };
    let observed = count(|c| &c.observe, "observed");
    let remediated = count(|c| &c.remediate, "remediated");
    let unchanged = cases.iter().filter(|c| c.after_observe == c.before).count();
    let n = cases.len();
    println!();
    if failures.is_empty() {
        println!(
            "warden-local: PASS: observe answered observed {observed}/{n} and changed {}/{n} buckets; \
             remediate answered remediated {remediated}/{n}; {satisfied}/{total} rules hold on read-back",
            n - unchanged
        );
        Ok(true)
    } else {
        println!("warden-local: FAIL ({} problems):", failures.len());
        for failure in &failures {
            println!("  - {failure}");
        }
        println!(
            "summary: observe answered observed {observed}/{n} and changed {}/{n} buckets; \
             remediate answered remediated {remediated}/{n}; {satisfied}/{total} rules hold on read-back",
            n - unchanged
        );
        Ok(false)
    }
}

fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// The two statements that make a bucket policy TLS-compliant.
fn tls_statements(bucket: &str) -> Vec<Value> {
    let arn = bucket_arn(bucket);
    let resources = json!([arn, format!("{arn}/*")]);
    vec![
        json!({
            "Sid": "RequireTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }),
        json!({
            "Sid": "RequireTls12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
        }),
    ]
}

/// Creates the case's bucket and puts it in its starting state.
async fn seed(s3: &aws_sdk_s3::Client, case: &Case) -> Result<(), String> {
    let bucket = case.bucket.as_str();
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| sdk_error("CreateBucket", bucket, e))?;
    let tls_policy = json!({"Version": "2012-10-17", "Statement": tls_statements(bucket)});
    match case.label {
        // A fresh emulator bucket: no encryption, no policy, no Block Public
        // Access configuration.
        "unencrypted" => {}
        "lowered-to-aes256" => {
            put_encryption(s3, bucket, ServerSideEncryption::Aes256, false).await?;
            put_policy(s3, bucket, &tls_policy).await?;
            put_public_access_block(s3, bucket).await?;
        }
        "policy-without-tls" => {
            // The policy the event says was written: read access for a role,
            // and no TLS deny.
            let policy = case.event["detail"]["requestParameters"]["bucketPolicy"].clone();
            if !policy.is_object() {
                return Err(format!(
                    "{} has no requestParameters.bucketPolicy object",
                    case.event_file
                ));
            }
            put_encryption(s3, bucket, ServerSideEncryption::AwsKms, true).await?;
            put_policy(s3, bucket, &policy).await?;
            put_public_access_block(s3, bucket).await?;
        }
        "no-public-access-block" => {
            put_encryption(s3, bucket, ServerSideEncryption::AwsKms, true).await?;
            put_policy(s3, bucket, &tls_policy).await?;
            put_public_access_block(s3, bucket).await?;
            s3.delete_public_access_block()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| sdk_error("DeletePublicAccessBlock", bucket, e))?;
        }
        other => return Err(format!("no seeding for case {other}")),
    }
    Ok(())
}

async fn put_encryption(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    algorithm: ServerSideEncryption,
    bucket_key: bool,
) -> Result<(), String> {
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(algorithm)
        .build()
        .map_err(|e| e.to_string())?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .bucket_key_enabled(bucket_key)
        .build();
    let configuration = ServerSideEncryptionConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| e.to_string())?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(configuration)
        .send()
        .await
        .map_err(|e| sdk_error("PutBucketEncryption", bucket, e))?;
    Ok(())
}

async fn put_policy(s3: &aws_sdk_s3::Client, bucket: &str, policy: &Value) -> Result<(), String> {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
        .map_err(|e| sdk_error("PutBucketPolicy", bucket, e))?;
    Ok(())
}

async fn put_public_access_block(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    let configuration = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(configuration)
        .send()
        .await
        .map_err(|e| sdk_error("PutPublicAccessBlock", bucket, e))?;
    Ok(())
}

/// A bucket's state as read back through the SDK.
#[derive(Debug, Clone, Default, PartialEq)]
struct State {
    /// `None`: no default-encryption configuration.
    encryption: Option<Encryption>,
    /// `None`: no bucket policy.
    policy: Option<Value>,
    /// `None`: no Block Public Access configuration; else the four flags
    /// (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy,
    /// RestrictPublicBuckets).
    public_access_block: Option<[bool; 4]>,
}

#[derive(Debug, Clone, PartialEq)]
struct Encryption {
    algorithm: String,
    kms_key: Option<String>,
    bucket_key: bool,
}

const PAB_FLAGS: [&str; 4] = [
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];

async fn read_state(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<State, String> {
    let (encryption, policy, pab) = tokio::join!(
        s3.get_bucket_encryption().bucket(bucket).send(),
        s3.get_bucket_policy().bucket(bucket).send(),
        s3.get_public_access_block().bucket(bucket).send(),
    );
    let encryption = match encryption {
        Ok(output) => output
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|rule| {
                let default = rule.apply_server_side_encryption_by_default()?;
                Some(Encryption {
                    algorithm: default.sse_algorithm().as_str().to_string(),
                    kms_key: default.kms_master_key_id().map(str::to_string),
                    bucket_key: rule.bucket_key_enabled().unwrap_or(false),
                })
            }),
        Err(err) if err.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => None,
        Err(err) => return Err(sdk_error("GetBucketEncryption", bucket, err)),
    };
    let policy = match policy {
        Ok(output) => match output.policy() {
            Some(text) => Some(
                serde_json::from_str(text)
                    .map_err(|e| format!("GetBucketPolicy on {bucket}: not JSON: {e}: {text}"))?,
            ),
            None => None,
        },
        Err(err) if err.code() == Some("NoSuchBucketPolicy") => None,
        Err(err) => return Err(sdk_error("GetBucketPolicy", bucket, err)),
    };
    let public_access_block = match pab {
        Ok(output) => output.public_access_block_configuration().map(|c| {
            [
                c.block_public_acls().unwrap_or(false),
                c.ignore_public_acls().unwrap_or(false),
                c.block_public_policy().unwrap_or(false),
                c.restrict_public_buckets().unwrap_or(false),
            ]
        }),
        Err(err) if err.code() == Some("NoSuchPublicAccessBlockConfiguration") => None,
        Err(err) => return Err(sdk_error("GetPublicAccessBlock", bucket, err)),
    };
    Ok(State {
        encryption,
        policy,
        public_access_block,
    })
}

// ---- the rules, judged from read-back state ------------------------------

/// Encryption rank: none < SSE-S3 < SSE-KMS (AWS-managed key) < SSE-KMS
/// (customer key) < DSSE-KMS.
fn encryption_rank(encryption: Option<&Encryption>) -> u8 {
    let Some(encryption) = encryption else {
        return 0;
    };
    let customer_key = encryption
        .kms_key
        .as_deref()
        .is_some_and(|k| !k.is_empty() && k != "alias/aws/s3");
    match encryption.algorithm.as_str() {
        "AES256" => 1,
        "aws:kms" if customer_key => 3,
        "aws:kms" => 2,
        "aws:kms:dsse" => 4,
        _ => 0,
    }
}

/// The rank [`MIN_ENCRYPTION`] (sse-kms, no key configured) requires.
const REQUIRED_RANK: u8 = 2;

fn rule_holds(rule: &str, state: &State, bucket: &str) -> bool {
    match rule {
        "default-encryption" => encryption_rank(state.encryption.as_ref()) >= REQUIRED_RANK,
        "tls-required" => policy_denies(state.policy.as_ref(), bucket, is_insecure_transport),
        "tls-version" => policy_denies(state.policy.as_ref(), bucket, is_old_tls),
        "public-access-block" => state.public_access_block == Some([true; 4]),
        _ => false,
    }
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

/// Whether the policy has `Deny` statements for every principal and every
/// `s3:*` action, under a condition accepted by `condition`, that together
/// cover the bucket and its objects.
fn policy_denies(policy: Option<&Value>, bucket: &str, condition: fn(&Value) -> bool) -> bool {
    let Some(policy) = policy else {
        return false;
    };
    let arn = bucket_arn(bucket);
    let objects = format!("{arn}/*");
    let mut covered = BTreeSet::new();
    for statement in as_list(&policy["Statement"]) {
        let any_principal = match &statement["Principal"] {
            Value::String(p) => p == "*",
            Value::Object(map) => map
                .get("AWS")
                .is_some_and(|aws| as_list(aws).iter().any(|p| p.as_str() == Some("*"))),
            _ => false,
        };
        let all_actions = as_list(&statement["Action"]).iter().any(|a| {
            a.as_str()
                .is_some_and(|a| a == "*" || a.eq_ignore_ascii_case("s3:*"))
        });
        if statement["Effect"].as_str() != Some("Deny")
            || !any_principal
            || !all_actions
            || !condition(&statement["Condition"])
        {
            continue;
        }
        for resource in as_list(&statement["Resource"]) {
            if let Some(resource) = resource.as_str() {
                covered.insert(resource.to_string());
            }
        }
    }
    covered.contains(&arn) && covered.contains(&objects)
}

/// The value of `Condition[operator][key]` (keys compared case-insensitively,
/// as IAM does for condition keys).
fn condition_values<'a>(condition: &'a Value, operator: &str, key: &str) -> Vec<&'a Value> {
    condition
        .get(operator)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
        .flat_map(|(_, v)| as_list(v))
        .collect()
}

fn is_insecure_transport(condition: &Value) -> bool {
    condition_values(condition, "Bool", "aws:SecureTransport")
        .iter()
        .any(|v| v.as_str() == Some("false") || v.as_bool() == Some(false))
}

fn is_old_tls(condition: &Value) -> bool {
    condition_values(condition, "NumericLessThan", "s3:TlsVersion")
        .iter()
        .any(|v| {
            let number = v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.parse::<f64>().ok()));
            number.is_some_and(|n| n >= 1.2)
        })
}

// ---- the report ----------------------------------------------------------

fn show_encryption(state: &State) -> String {
    match &state.encryption {
        None => "none".into(),
        Some(e) => {
            let name = match e.algorithm.as_str() {
                "AES256" => "SSE-S3 (AES256)",
                "aws:kms" => "SSE-KMS",
                "aws:kms:dsse" => "DSSE-KMS",
                other => other,
            };
            let mut details = Vec::new();
            if e.algorithm.starts_with("aws:kms") {
                details.push(match e.kms_key.as_deref() {
                    None | Some("") | Some("alias/aws/s3") => "AWS key".to_string(),
                    Some(key) => format!("key {key}"),
                });
            }
            if e.bucket_key {
                details.push("bucket key".into());
            }
            if details.is_empty() {
                name.to_string()
            } else {
                format!("{name} ({})", details.join(", "))
            }
        }
    }
}

fn show_public_access_block(state: &State) -> String {
    match state.public_access_block {
        None => "none".into(),
        Some(flags) => {
            let on: Vec<&str> = PAB_FLAGS
                .iter()
                .zip(flags)
                .filter(|(_, on)| *on)
                .map(|(name, _)| *name)
                .collect();
            match on.len() {
                4 => "4/4 on".into(),
                0 => "0/4 on".into(),
                n => format!("{n}/4 on ({})", on.join(", ")),
            }
        }
    }
}

fn show_rule(rule: &str, state: &State, bucket: &str) -> String {
    let value = match rule {
        "default-encryption" => show_encryption(state),
        "public-access-block" => show_public_access_block(state),
        _ => {
            if rule_holds(rule, state, bucket) {
                "yes".into()
            } else {
                "no".into()
            }
        }
    };
    if rule_holds(rule, state, bucket) {
        format!("  {value}")
    } else {
        format!("✗ {value}")
    }
}

fn rule_title(rule: &str) -> &'static str {
    match rule {
        "default-encryption" => "default encryption",
        "tls-required" => "TLS required",
        "tls-version" => "TLS >= 1.2",
        "public-access-block" => "Block Public Access",
        _ => "?",
    }
}

fn print_case(index: usize, case: &Case) {
    let event_name = case.event["detail"]["eventName"].as_str().unwrap_or("?");
    println!(
        "\n[{}] {}: bucket {} (event {event_name}, {})",
        index + 1,
        case.label,
        case.bucket,
        case.event_file
    );
    let header = [
        "rule".to_string(),
        "before".to_string(),
        "after observe".to_string(),
        "after remediate".to_string(),
    ];
    let mut rows = vec![header];
    for rule in RULES {
        rows.push([
            rule_title(rule).to_string(),
            show_rule(rule, &case.before, &case.bucket),
            show_rule(rule, &case.after_observe, &case.bucket),
            show_rule(rule, &case.after_remediate, &case.bucket),
        ]);
    }
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
    for (pass, answer) in [("observe", &case.observe), ("remediate", &case.remediate)] {
        let text = answer
            .as_ref()
            .map(Answer::describe)
            .unwrap_or_else(|| "no answer".into());
        println!("    {pass:<10} {text}");
    }
    // Remediation merges into the existing policy: show that it kept it.
    let statements = |state: &State| match &state.policy {
        None => "no policy".to_string(),
        Some(policy) => format!("{} statement(s)", as_list(&policy["Statement"]).len()),
    };
    if case.before.policy.is_some() || case.after_remediate.policy.is_some() {
        println!(
            "    policy     {} before, {} after observe, {} after remediate",
            statements(&case.before),
            statements(&case.after_observe),
            statements(&case.after_remediate)
        );
    }
}

/// What is wrong with a case, empty when it passed.
fn check(case: &Case) -> Vec<String> {
    let mut failures = Vec::new();
    let broken_before: BTreeSet<&str> = RULES
        .iter()
        .copied()
        .filter(|r| !rule_holds(r, &case.before, &case.bucket))
        .collect();
    if broken_before.is_empty() {
        failures.push("the seeded bucket breaks no rule (bad seeding)".into());
    }

    match &case.observe {
        Some(answer) if answer.status() == "observed" => {
            let reported: BTreeSet<String> = answer
                .findings()
                .into_iter()
                .map(|(rule, _)| rule)
                .collect();
            let expected: BTreeSet<String> = broken_before.iter().map(|r| r.to_string()).collect();
            if reported != expected {
                failures.push(format!(
                    "observe reported rules {reported:?}, but the bucket breaks {expected:?}"
                ));
            }
        }
        Some(answer) => failures.push(format!(
            "observe answered `{}`, expected `observed` ({})",
            answer.status(),
            answer.describe()
        )),
        None => failures.push("observe gave no answer".into()),
    }
    if case.after_observe != case.before {
        failures.push(format!(
            "observe mode changed the bucket: {}",
            describe_changes(&case.before, &case.after_observe)
        ));
    }

    match &case.remediate {
        Some(answer) if answer.status() == "remediated" => {}
        Some(answer) => failures.push(format!(
            "remediate answered `{}`, expected `remediated` ({})",
            answer.status(),
            answer.describe()
        )),
        None => failures.push("remediate gave no answer".into()),
    }
    for rule in RULES {
        if !rule_holds(rule, &case.after_remediate, &case.bucket) {
            failures.push(format!(
                "after remediate, rule {rule} does not hold on read-back"
            ));
        }
    }
    // Remediation merges: every statement the bucket had must survive.
    if let Some(before) = &case.after_observe.policy {
        let after = case
            .after_remediate
            .policy
            .as_ref()
            .map(|p| as_list(&p["Statement"]))
            .unwrap_or_default();
        for statement in as_list(&before["Statement"]) {
            if !after.contains(&statement) {
                failures.push(format!(
                    "remediate dropped or changed the policy statement {statement}"
                ));
            }
        }
    }
    if encryption_rank(case.after_remediate.encryption.as_ref())
        < encryption_rank(case.after_observe.encryption.as_ref())
    {
        failures.push("remediate lowered the default encryption".into());
    }
    failures
}

/// What differs between two read-backs, in the table's words.
fn describe_changes(before: &State, after: &State) -> String {
    let mut changes = Vec::new();
    if before.encryption != after.encryption {
        changes.push(format!(
            "default encryption {} -> {}",
            show_encryption(before),
            show_encryption(after)
        ));
    }
    if before.policy != after.policy {
        let show = |state: &State| match &state.policy {
            None => "no policy".to_string(),
            Some(policy) => format!("{} statement(s)", as_list(&policy["Statement"]).len()),
        };
        changes.push(format!("bucket policy {} -> {}", show(before), show(after)));
    }
    if before.public_access_block != after.public_access_block {
        changes.push(format!(
            "Block Public Access {} -> {}",
            show_public_access_block(before),
            show_public_access_block(after)
        ));
    }
    changes.join("; ")
}
