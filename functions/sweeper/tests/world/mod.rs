//! A small account for the sweeper's tests and the local run: buckets,
//! users, trails and tagged resources planted in a private moto (before any
//! event; `world/plant.rs`), with the exact summary each mode must produce,
//! and the sweeper binary run over it through the local Runtime API.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../bucket-guard/tests/fixture/mod.rs"]
pub mod bucket;
mod plant;

// Each crate that loads this world uses only a part of it (hence the
// `dead_code` above), so a re-export one of them leaves unused is no fault.
#[allow(unused_imports)]
pub use plant::{compliant_bucket, plant, snapshot};

use aws_config::SdkConfig;
use aws_sdk_cloudtrail::Client as CloudTrail;
use aws_sdk_iam::Client as Iam;
use aws_sdk_resourcegroupstagging::Client as Tagging;
use aws_sdk_s3::Client as S3;
use aws_sdk_sns::Client as Sns;
use aws_sdk_sqs::Client as Sqs;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use warden_tests::faults::FaultProxy;
use warden_tests::{FunctionRun, InvocationResult, Moto, run_function_with_timeout};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const OTHER_REGION: &str = "eu-west-1";

/// A private emulator (so every listing holds only what a test planted)
/// behind a fault proxy that sees every call.
pub struct World {
    pub moto: Moto,
    pub proxy: FaultProxy,
    pub config: SdkConfig,
    pub s3: S3,
    pub iam: Iam,
    pub cloudtrail: CloudTrail,
    pub tagging: Tagging,
    pub sqs: Sqs,
    pub sns: Sns,
    pub quarantine_policy: String,
}

impl World {
    pub async fn start() -> World {
        Self::with(warden_tests::start_private().expect("a private moto")).await
    }

    /// [`World::start`] with the emulator listening on `address`
    /// (`sam local`'s containers reach only one where the Docker bridge is).
    pub async fn start_on(address: &str) -> World {
        Self::with(warden_tests::start_private_on(address).expect("a private moto")).await
    }

    async fn with(moto: Moto) -> World {
        let proxy = FaultProxy::start(moto.endpoint()).await.expect("the proxy");
        let config = warden_tests::sdk_config(moto.endpoint()).await;
        let iam = Iam::new(&config);
        let policy = iam
            .create_policy()
            .policy_name("warden-quarantine")
            .policy_document(mfa_guard::quarantine::document("aws", ACCOUNT).to_string())
            .send()
            .await
            .expect("CreatePolicy");
        World {
            s3: warden_tests::s3(&config),
            cloudtrail: CloudTrail::new(&config),
            tagging: Tagging::new(&config),
            sqs: Sqs::new(&config),
            sns: Sns::new(&config),
            quarantine_policy: policy.policy().and_then(|p| p.arn()).unwrap().to_string(),
            iam,
            config,
            proxy,
            moto,
        }
    }

    /// The sweeper's environment: the proxy as AWS, `mode`, the guards'
    /// settings, and `extra`.
    pub fn env(&self, mode: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        self.env_at(self.proxy.endpoint(), mode, extra)
    }

    /// [`World::env`] with AWS at `endpoint` instead of the proxy.
    pub fn env_at(
        &self,
        endpoint: &str,
        mode: &str,
        extra: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut env = warden_tests::lambda_env(endpoint);
        for (k, v) in [
            ("WARDEN_SWEEP_MODE", mode),
            (
                "WARDEN_QUARANTINE_POLICY_ARN",
                self.quarantine_policy.as_str(),
            ),
            (
                "WARDEN_SELF_ARN",
                "arn:aws:iam::123456789012:role/warden-SweeperFunctionRole-1",
            ),
            ("AWS_LAMBDA_LOG_LEVEL", "info"),
            // 25 s of the harness's 30 s deadline: room for adaptive
            // back-off on a loaded machine.
            ("WARDEN_SWEEP_RESERVE_MS", "5000"),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        {
            env.push((k.to_string(), v.to_string()));
        }
        env
    }

    /// An S3 client for `region`.
    pub fn s3_in(&self, region: &str) -> S3 {
        let config = aws_sdk_s3::config::Builder::from(&self.config)
            .region(aws_sdk_s3::config::Region::new(region.to_string()))
            .force_path_style(true)
            .build();
        S3::from_conf(config)
    }

    pub fn cloudtrail_in(&self, region: &str) -> CloudTrail {
        let config = aws_sdk_cloudtrail::config::Builder::from(&self.config)
            .region(aws_sdk_cloudtrail::config::Region::new(region.to_string()))
            .build();
        CloudTrail::from_conf(config)
    }

    /// What the Tagging API lists in `REGION`, independently of the sweeper.
    pub async fn tagged_arns(&self) -> Vec<String> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .tagging
                .get_resources()
                .set_pagination_token(token)
                .send()
                .await
                .expect("GetResources");
            arns.extend(
                out.resource_tag_mapping_list()
                    .iter()
                    .filter_map(|m| m.resource_arn().map(str::to_string)),
            );
            token = out
                .pagination_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                return arns;
            }
        }
    }

    /// Creates the queue `name` and returns its URL.
    pub async fn queue(&self, name: &str) -> String {
        let out = self
            .sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .expect("CreateQueue");
        out.queue_url().unwrap().to_string()
    }

    /// Receives (and deletes) every message on `queue`, as an SQS event's
    /// records.
    pub async fn drain(&self, queue: &str) -> Vec<Value> {
        let mut records = Vec::new();
        loop {
            let out = self
                .sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("ReceiveMessage");
            if out.messages().is_empty() {
                return records;
            }
            for m in out.messages() {
                records.push(json!({"messageId": m.message_id().unwrap(), "receiptHandle": m.receipt_handle().unwrap(),
                    "body": m.body().unwrap(), "eventSource": "aws:sqs", "awsRegion": REGION,
                    "eventSourceARN": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:sweep")}));
                self.sqs
                    .delete_message()
                    .queue_url(queue)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .expect("DeleteMessage");
            }
        }
    }

    /// Every write the proxy has seen since it was last cleared.
    pub fn writes(&self) -> Vec<String> {
        self.proxy
            .seen()
            .into_iter()
            .filter(|op| {
                [
                    "Put", "Attach", "Detach", "Delete", "Tag", "Untag", "Start", "Update", "Add",
                    "Remove",
                ]
                .iter()
                .any(|verb| op.starts_with(verb))
            })
            .collect()
    }
}

/// Runs the sweeper `binary` over `events` with `env`; every answer, in
/// order (an invocation error is kept as `{"error": type, "message": ...}`).
pub async fn sweep_with(
    binary: &Path,
    env: &[(String, String)],
    events: &[Value],
) -> (Vec<Value>, FunctionRun) {
    let run = run_function_with_timeout(binary, env, events, Duration::from_secs(120))
        .await
        .expect("the sweeper ran");
    let answers = run
        .invocations
        .iter()
        .map(|i| match &i.result {
            InvocationResult::Response(value) => value.clone(),
            InvocationResult::Error {
                error_type,
                error_message,
            } => json!({"error": error_type, "message": error_message}),
        })
        .collect();
    (answers, run)
}

/// `{"sweep": {"inline": true, "sweep_id": id}}`.
pub fn inline(id: &str) -> Value {
    json!({"sweep": {"inline": true, "sweep_id": id, "regions": [REGION]}})
}

/// The summary a sweep of the planted account (in `REGION`) comes to:
/// `findings` is the status of the fixable findings, `report_only` that of
/// the finding no sweep can fix (a trail without a KMS key), `tagged` what
/// the Tagging API lists.
pub fn expected(id: &str, fixable: Option<&str>, report_only: &str, tagged: usize) -> Value {
    let mut by_rule = serde_json::Map::new();
    if let Some(status) = fixable {
        for (rule, n) in [
            ("default-encryption", 4),
            ("tls-required", 3),
            ("tls-version", 3),
            ("public-access-block", 4),
            ("console-mfa", 1),
            ("sensitive-tag", 1),
        ] {
            by_rule.insert(rule.into(), json!({status: n}));
        }
    }
    by_rule.insert("log-encryption".into(), json!({report_only: 1}));
    json!({"sweep_id": id, "status": "complete", "duration_ms": 0,
        "checked": {"bucket-guard": 6, "mfa-guard": 3, "tag-guard": tagged, "trail-guard": 1},
        "by_rule": by_rule, "errors": [], "continuation": null})
}

/// `summary` with its duration zeroed, to compare with [`expected`].
pub fn timeless(mut summary: Value) -> Value {
    if summary.get("duration_ms").is_some() {
        summary["duration_ms"] = json!(0);
    }
    summary
}
