//! Running a sweep: planned onto the queue, run in one invocation, or run
//! shard by shard from the queue's messages, and its summary reported once.
//! Planning and consuming the queue are in `sweep/queued.rs`, the report in
//! `sweep/report.rs`, and how one shard lists and checks its resources in
//! `sweep/shards.rs`.

use crate::settings::{SweepSettings, shards_of};
use crate::shard::Continuation;
use crate::shard::{Cursor, Request, ResourceType, Shard, SweepRequest};
use crate::summary::{Summary, SweepStatus};
use aws_config::SdkConfig;
use bucket_guard::BucketGuard;
use mfa_guard::MfaGuard;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use strum::VariantArray;
use tag_guard::TagGuard;
use tag_guard::tagging::Tagging;
use tokio::sync::Semaphore;
use trail_guard::TrailGuard;
use warden_shared::config::Env;
use warden_shared::state::StateTable;
use warden_shared::{AwsCall, Config, ConfigError, Guard, GuardError, Pipeline};

/// Resources listed but not checked yet, by id, with their targets.
type Pending<T> = VecDeque<(String, T)>;

pub const SEND_MESSAGE: AwsCall = AwsCall::new("SendMessage", "sqs:SendMessage");
pub const SEND_MESSAGE_BATCH: AwsCall = AwsCall::new("SendMessageBatch", "sqs:SendMessage");

/// What an invocation could not do at all (a bad request, a queue that
/// would not take the shards): Lambda's retries and dead-letter queue take
/// over. A resource or a listing that fails is a line in the summary instead.
#[derive(Debug, thiserror::Error)]
pub enum SweepFailure {
    #[error("{0}")]
    Request(String),
    #[error(
        "WARDEN_SWEEP_QUEUE_URL is not set: {0} needs the sweep queue; run a sweep in one invocation with {{\"sweep\": {{\"inline\": true}}}}"
    )]
    NoQueue(&'static str),
    #[error("{0}")]
    Aws(#[from] GuardError),
}

impl From<SweepFailure> for lambda_runtime::Diagnostic {
    fn from(err: SweepFailure) -> Self {
        match err {
            SweepFailure::Aws(err) => err.into(),
            SweepFailure::Request(_) => lambda_runtime::Diagnostic {
                error_type: "Warden.BadRequest".into(),
                error_message: err.to_string(),
            },
            SweepFailure::NoQueue(_) => lambda_runtime::Diagnostic {
                error_type: "Warden.InvalidConfiguration".into(),
                error_message: err.to_string(),
            },
        }
    }
}

/// What an invocation gives a sweep: its request id, its deadline, and the
/// account it runs in (from the function's ARN, until [`Sweeper::handle`]
/// has asked STS).
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub account: String,
    /// When the shard stops taking work.
    pub stop_at: Instant,
}

impl Invocation {
    /// `deadline_ms` as Lambda gives it (milliseconds since the epoch), less
    /// the settings' reserve.
    pub fn new(request_id: &str, function_arn: &str, deadline_ms: u64, reserve: Duration) -> Self {
        let now_ms = epoch_ms() as u64;
        let left =
            Duration::from_millis(deadline_ms.saturating_sub(now_ms)).saturating_sub(reserve);
        let account = warden_shared::arn::Arn::parse(function_arn)
            .map(|arn| arn.account.to_string())
            .unwrap_or_default();
        Self {
            request_id: request_id.to_string(),
            account,
            stop_at: Instant::now() + left,
        }
    }

    fn spent(&self) -> bool {
        Instant::now() >= self.stop_at
    }

    /// The id of the sweep `request` starts: its own, or this invocation's.
    fn sweep_id(&self, request: &SweepRequest) -> String {
        request
            .sweep_id
            .clone()
            .unwrap_or_else(|| self.request_id.clone())
    }
}

/// Milliseconds since the epoch, as Lambda's deadlines and CloudWatch's
/// metric timestamps count time.
fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Where one shard's run ended.
struct ShardEnd {
    summary: Summary,
    /// `Some` when the budget ran out first.
    cursor: Option<Cursor>,
    /// The listing failed and a retry may help: the shard should be run
    /// again from where its message started.
    retry: bool,
}

mod queued;
mod report;
mod shards;

/// Every guard's pipeline, built once per cold start with the sweep's mode.
pub struct Sweeper {
    settings: SweepSettings,
    aws: SdkConfig,
    config: Config,
    buckets: Pipeline<BucketGuard>,
    users: Pipeline<MfaGuard>,
    trails: Pipeline<TrailGuard>,
    tag_guard: TagGuard,
    /// tag-guard's pipeline per region: the Tagging API is regional.
    tags: Mutex<HashMap<String, Arc<Pipeline<TagGuard>>>>,
    iam: aws_sdk_iam::Client,
    sqs: aws_sdk_sqs::Client,
    sns: aws_sdk_sns::Client,
    /// With a state table, a queued sweep keeps its books there and
    /// publishes one summary when its last shard ends.
    state: Option<StateTable>,
    sts: aws_sdk_sts::Client,
    /// The account the credentials are in, once STS has said.
    account: OnceLock<String>,
}

impl Sweeper {
    /// Reads the sweep's settings and every guard's own, and builds the
    /// pipelines and clients. The pipelines run in the sweep's mode.
    pub fn from_env(env: &(impl Env + ?Sized), aws: &SdkConfig) -> Result<Self, ConfigError> {
        let settings = SweepSettings::from_env(env)?;
        let mut config = Config::from_env(env)?;
        config.mode = settings.mode;
        // Each guard as its own function starts it (its settings and its
        // adapter), under the sweep's mode.
        let (bucket_guard, buckets) = BucketGuard::start(env, aws)?;
        let (mfa_guard, users) = MfaGuard::start(env, aws)?;
        let (trail_guard, trails) = TrailGuard::start(env, aws)?;
        Ok(Self {
            buckets: Pipeline::build(bucket_guard, buckets, config.clone(), aws),
            users: Pipeline::build(mfa_guard, users, config.clone(), aws),
            trails: Pipeline::build(trail_guard, trails, config.clone(), aws),
            tag_guard: TagGuard::from_env(env)?,
            tags: Mutex::new(HashMap::new()),
            iam: aws_sdk_iam::Client::new(aws),
            sqs: aws_sdk_sqs::Client::new(aws),
            sns: warden_shared::aws::sns(aws),
            state: config
                .state
                .clone()
                .map(|settings| StateTable::new(warden_shared::aws::dynamodb(aws), settings)),
            sts: aws_sdk_sts::Client::new(aws),
            account: OnceLock::new(),
            aws: aws.clone(),
            config,
            settings,
        })
    }

    /// The account the sweep lists and checks: the one the credentials are
    /// in (`GetCallerIdentity`, which needs no permission), asked once per
    /// cold start. Which trails are the account's own depends on it, and the
    /// function's ARN can name another: the Lambda runtime emulator that
    /// `sam local` runs gives every function account 012345678912. If STS
    /// cannot be reached, the ARN's account serves this invocation and the
    /// next one asks again.
    async fn account(&self, from_arn: &str) -> String {
        if let Some(account) = self.account.get() {
            return account.clone();
        }
        match self.sts.get_caller_identity().send().await {
            Ok(identity) => match identity.account() {
                Some(account) if !account.is_empty() => {
                    let account = account.to_string();
                    if account != from_arn {
                        tracing::info!(
                            credentials = %account,
                            function_arn = %from_arn,
                            "the credentials' account is not the function ARN's: sweeping the credentials'"
                        );
                    }
                    self.account.get_or_init(|| account).clone()
                }
                _ => from_arn.to_string(),
            },
            Err(err) => {
                tracing::warn!(
                    error = %aws_sdk_sts::error::DisplayErrorContext(&err),
                    account = %from_arn,
                    "sts:GetCallerIdentity failed: sweeping the account of the function's ARN"
                );
                from_arn.to_string()
            }
        }
    }

    pub fn settings(&self) -> &SweepSettings {
        &self.settings
    }

    /// Handles one invocation: plans a sweep, runs one inline, or runs the
    /// shards of an SQS batch.
    pub async fn handle(
        &self,
        payload: Value,
        mut invocation: Invocation,
    ) -> Result<Value, SweepFailure> {
        let request = Request::parse(&payload).map_err(SweepFailure::Request)?;
        invocation.account = self.account(&invocation.account).await;
        match request {
            Request::Sweep(request) if request.inline => {
                let summary = self.inline(request, &invocation).await;
                Ok(serde_json::to_value(summary).unwrap_or_default())
            }
            Request::Sweep(request) => self.plan(request, &invocation).await,
            Request::Shards(records) => Ok(self.consume(records, &invocation).await),
        }
    }

    /// The shards a request names, for the sweep `sweep_id`.
    fn shards(&self, request: &SweepRequest, sweep_id: &str) -> Vec<Shard> {
        let types: &[ResourceType] = if request.resource_types.is_empty() {
            ResourceType::VARIANTS
        } else {
            &request.resource_types
        };
        let regions = if request.regions.is_empty() {
            &self.settings.regions
        } else {
            &request.regions
        };
        shards_of(types, regions)
            .into_iter()
            .map(|(region, kind)| Shard::new(sweep_id, &region, kind))
            .collect()
    }

    /// A whole sweep (or the part a continuation left) in this invocation.
    async fn inline(&self, request: SweepRequest, invocation: &Invocation) -> Summary {
        let started = Instant::now();
        let (sweep_id, shards) = match &request.continuation {
            Some(c) => (c.sweep_id.clone(), c.shards.clone()),
            None => {
                let id = invocation.sweep_id(&request);
                let shards = self.shards(&request, &id);
                (id, shards)
            }
        };
        let permits = Semaphore::new(self.settings.concurrency);
        let ends = futures::future::join_all(
            shards
                .iter()
                .map(|shard| self.run_shard(shard, invocation, &permits)),
        )
        .await;
        let mut summary = Summary::new(&sweep_id);
        let mut left = Vec::new();
        for (shard, end) in shards.iter().zip(ends) {
            summary.merge(end.summary);
            if let Some(cursor) = end.cursor {
                left.push(shard.resumed_at(cursor));
            }
        }
        if !left.is_empty() {
            summary.status = SweepStatus::Continued;
            summary.continuation = serde_json::to_value(Continuation {
                sweep_id: sweep_id.clone(),
                shards: left,
            })
            .ok();
        }
        summary.duration_ms = started.elapsed().as_millis() as u64;
        self.report(&mut summary).await;
        summary
    }

    /// tag-guard's pipeline for `region`, built on first use.
    fn tag_pipeline(&self, region: &str) -> Arc<Pipeline<TagGuard>> {
        let mut tags = self.tags.lock().unwrap_or_else(PoisonError::into_inner);
        tags.entry(region.to_string())
            .or_insert_with(|| {
                let regional = self
                    .aws
                    .to_builder()
                    .region(aws_config::Region::new(region.to_string()))
                    .build();
                Arc::new(Pipeline::build(
                    self.tag_guard.clone(),
                    Tagging::new(&regional),
                    self.config.clone(),
                    &self.aws,
                ))
            })
            .clone()
    }
}
