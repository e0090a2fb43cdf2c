//! The emulator world rollback's tests share: a state table created with
//! the template's key schema, the quarantine policy, the guards' pipelines
//! (which make the real fixes) and their adapters (which read the real
//! before- and after-states), and change records written the way the
//! pipeline writes them.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use aws_config::SdkConfig;
use bucket_guard::BucketGuard;
use mfa_guard::MfaGuard;
use rollback::{Rollback, Settings};
use serde_json::{Value, json};
use trail_guard::TrailGuard;
use warden_shared::state::{self, ChangeRecord, ChangeStatus, StateSettings, StateTable};
use warden_shared::{Adapter, Config, Guard, Mode, Pipeline, Resource, Status, Trigger};
use warden_tests::fixtures::{self, GuardEvents, unique};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const SELF_ROLE: &str = "arn:aws:iam::123456789012:role/warden-GuardFunctionRole-1A2B3C4D5E6F";

pub const BUCKET_EVENTS: GuardEvents = events("bucket-guard", "warden-demo-bucket");
pub const TRAIL_EVENTS: GuardEvents = events("trail-guard", "warden-demo-trail");
pub const MFA_EVENTS: GuardEvents = events("mfa-guard", "warden-demo-user");
/// rollback's own samples: they name a change id and several resources,
/// so they are read as shipped.
pub const ROLLBACK_EVENTS: GuardEvents = events("rollback", "");

/// The sample events in `events/<guard>/`, naming the resource `sample`.
const fn events(guard: &'static str, sample: &'static str) -> GuardEvents {
    GuardEvents { guard, sample }
}

pub struct World {
    pub config: SdkConfig,
    pub s3: aws_sdk_s3::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub iam: aws_sdk_iam::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub table: String,
    pub state: StateTable,
    pub quarantine: String,
    pub rollback: Rollback,
}

/// A world of its own: a fresh state table (so a test's listing holds
/// only its own records) and quarantine policy, on the shared moto.
pub async fn world() -> World {
    world_at(warden_tests::moto().endpoint()).await
}

/// [`world`] on the emulator at `endpoint` (`sam local`'s containers reach
/// only one listening where the Docker bridge is).
pub async fn world_at(endpoint: &str) -> World {
    let config = warden_tests::aws::sdk_config(endpoint).await;
    let table = warden_tests::state::create_table(&config, &unique("state")).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let document = mfa_guard::quarantine::document("aws", ACCOUNT);
    let quarantine = warden_tests::iam::create_policy(&iam, &unique("quarantine"), &document).await;
    let settings = Settings::from_env(
        &[
            ("WARDEN_STATE_TABLE", table.as_str()),
            ("WARDEN_QUARANTINE_POLICY_ARN", quarantine.as_str()),
        ][..],
    )
    .expect("valid settings");
    World {
        s3: warden_tests::aws::s3(&config),
        cloudtrail: aws_sdk_cloudtrail::Client::new(&config),
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        iam,
        state: warden_tests::state::table(&config, &table),
        rollback: Rollback::new(settings, &config),
        table,
        quarantine,
        config,
    }
}

impl World {
    /// A guard's pipeline in `remediate` mode, as its `main` builds it
    /// (without the state table: the test writes the records itself).
    pub fn pipeline<G: Guard>(&self, guard: G, adapter: G::Adapter) -> Pipeline<G> {
        self.pipeline_with(guard, adapter, &[])
    }

    /// A guard's pipeline in `remediate` mode keeping its books in this
    /// world's state table, as a deployed stack runs it: the change records
    /// and their ids are the pipeline's own.
    pub fn pipeline_with_table<G: Guard>(&self, guard: G, adapter: G::Adapter) -> Pipeline<G> {
        let table = [(StateSettings::TABLE, self.table.as_str())];
        self.pipeline_with(guard, adapter, &table)
    }

    fn pipeline_with<G: Guard>(
        &self,
        guard: G,
        adapter: G::Adapter,
        own: &[(&str, &str)],
    ) -> Pipeline<G> {
        let env = fixtures::settings("remediate", SELF_ROLE, own);
        let config = Config::from_env(&env[..]).expect("valid settings");
        Pipeline::build(guard, adapter, config, &self.config)
    }

    pub fn bucket_pipeline(&self, env: &[(&str, &str)]) -> Pipeline<BucketGuard> {
        let guard = BucketGuard::from_env(env).expect("valid bucket settings");
        self.pipeline(guard, bucket_guard::s3::S3Buckets::new(&self.config))
    }

    pub fn trail_pipeline(&self) -> Pipeline<TrailGuard> {
        let guard = TrailGuard {
            require_kms_key: false,
        };
        self.pipeline(guard, trail_guard::cloudtrail::Trails::new(&self.config))
    }

    pub fn mfa_guard(&self) -> MfaGuard {
        MfaGuard::from_env(&[("WARDEN_QUARANTINE_POLICY_ARN", self.quarantine.as_str())][..])
            .expect("valid mfa settings")
    }

    pub fn mfa_pipeline(&self) -> Pipeline<MfaGuard> {
        let users = mfa_guard::iam::IamUsers::new(
            aws_sdk_iam::Client::new(&self.config),
            self.quarantine.clone(),
        );
        self.pipeline(self.mfa_guard(), users)
    }

    /// A new bucket as S3 creates it (no configuration at all), and its ARN.
    pub async fn bare_bucket(&self, tag: &str) -> (String, String) {
        let bucket = unique(tag);
        warden_tests::buckets::create(&self.s3, &bucket).await;
        let arn = format!("arn:aws:s3:::{bucket}");
        (bucket, arn)
    }

    /// A healthy, logging trail (multi-region, global events, validation).
    pub async fn create_trail(&self, trail: &str) {
        let bucket = format!("{trail}-logs");
        warden_tests::buckets::create(&self.s3, &bucket).await;
        self.cloudtrail
            .create_trail()
            .name(trail)
            .s3_bucket_name(&bucket)
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true)
            .send()
            .await
            .unwrap();
        self.cloudtrail
            .start_logging()
            .name(trail)
            .send()
            .await
            .unwrap();
    }

    /// A user with a console password and no MFA device.
    pub async fn user_with_password(&self, user: &str) {
        self.iam.create_user().user_name(user).send().await.unwrap();
        self.iam
            .create_login_profile()
            .user_name(user)
            .password("Correct-Horse-Battery-9")
            .password_reset_required(true)
            .send()
            .await
            .unwrap();
    }

    /// Asks rollback, as the runtime would hand it the payload.
    pub async fn ask(&self, payload: Value) -> Value {
        self.rollback
            .handle(payload, "test-invocation")
            .await
            .unwrap_or_else(|e| panic!("no retryable error expected: {e}"))
    }

    /// The changes `pipeline` makes for `event` on `target`, recorded as the
    /// pipeline records them: a record for each of `fixes` (a rule, and the
    /// action its record names; one write can fix several), before and after
    /// from `Guard::written` on what the guard's adapter reads of the target
    /// before and after the event.
    pub async fn fixed<G: Guard>(
        &self,
        pipeline: &Pipeline<G>,
        target: &G::Target,
        event: &Value,
        fixes: &[(&str, &str)],
    ) -> Vec<ChangeRecord> {
        let before = read(pipeline, target).await;
        remediate(pipeline, event.clone()).await;
        let after = read(pipeline, target).await;
        let guard = pipeline.guard();
        let mut records = vec![];
        for (rule, action) in fixes {
            let record = applied(
                G::NAME,
                rule,
                target.arn(),
                event,
                &[action],
                guard.written(rule, &before),
                guard.written(rule, &after),
            );
            assert_ne!(record.before, record.after, "{rule} changed something");
            self.put(&record).await;
            records.push(record);
        }
        records
    }

    /// Asks rollback to roll `record` back, and [`settle`]s the answer: the
    /// rule suppressed for `WARDEN_SUPPRESSION_DAYS`'s default, a week.
    pub async fn roll_back(&self, record: &ChangeRecord) -> (String, Value) {
        settle(self.ask(json!({"change_id": record.change_id})).await, 7)
    }

    /// Writes `record` as the pipeline does once a change is confirmed.
    pub async fn put(&self, record: &ChangeRecord) {
        self.state.put_change(record).await.expect("PutItem");
    }

    pub async fn changes(&self, resource: &str) -> Vec<ChangeRecord> {
        self.state.changes_of(resource).await.expect("Query")
    }
}

/// The target's state through the guard's own adapter.
async fn read<G: Guard>(pipeline: &Pipeline<G>, target: &G::Target) -> G::State {
    pipeline
        .adapter()
        .read(target)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{} exists", target.arn()))
        .state
}

/// Runs `event` through `pipeline` and checks it remediated.
pub async fn remediate<G: Guard>(pipeline: &Pipeline<G>, event: Value) -> Value {
    // Boxed: the pipeline's future is large in a debug build, and the tests
    // nest it in helpers on a test thread's 2 MiB stack.
    let outcome = Box::pin(fixtures::handle(pipeline, event)).await;
    assert_eq!(outcome["status"], "remediated", "{outcome:#}");
    outcome
}

/// The change ids the outcome gives each rule's changes: (rule, id).
pub fn change_ids(outcome: &Value) -> Vec<(String, String)> {
    outcome["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| {
            f["changes"].as_array().into_iter().flatten().map(|c| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    c["change_id"]
                        .as_str()
                        .unwrap_or_else(|| panic!("a change_id in {outcome:#}"))
                        .to_string(),
                )
            })
        })
        .collect()
}

/// A bucket's Block Public Access flags as S3 holds them (none: no
/// configuration).
pub async fn block(w: &World, bucket: &str) -> Option<[bool; 4]> {
    match w.s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => {
            let c = out.public_access_block_configuration().unwrap();
            Some([
                c.block_public_acls().unwrap_or(false),
                c.ignore_public_acls().unwrap_or(false),
                c.block_public_policy().unwrap_or(false),
                c.restrict_public_buckets().unwrap_or(false),
            ])
        }
        Err(err) if format!("{err:?}").contains("NoSuchPublicAccessBlockConfiguration") => None,
        Err(err) => panic!("GetPublicAccessBlock: {err:?}"),
    }
}

/// The record of one applied change, as the pipeline writes it: before
/// and after from `Guard::written` on the states read before the write and
/// read back after it.
pub fn applied(
    guard: &str,
    rule: &str,
    resource: &str,
    event: &Value,
    actions: &[&str],
    before: Value,
    after: Value,
) -> ChangeRecord {
    let now = state::format_time(state::now_ms());
    ChangeRecord {
        change_id: state::new_change_id(),
        resource: resource.to_string(),
        account: ACCOUNT.into(),
        region: REGION.into(),
        guard: guard.into(),
        rule: rule.into(),
        trigger: Trigger::Event {
            event_id: event["detail"]["eventID"].as_str().map(str::to_string),
            event_name: event["detail"]["eventName"].as_str().map(str::to_string),
        },
        principal: event["detail"]["userIdentity"]["arn"]
            .as_str()
            .map(str::to_string),
        mode: Mode::Remediate,
        actions: actions.iter().map(|a| a.to_string()).collect(),
        before,
        after,
        status: ChangeStatus::Applied,
        outcome: Some(Status::Remediated),
        reason: None,
        created_at: now.clone(),
        completed_at: Some(now),
        rollback_of: None,
        rolled_back_by: None,
    }
}

/// The parts of an answer that differ on every run, checked for shape and
/// taken out: the rollback's change id and the suppressions' end. Returns
/// them and the answer with placeholders in their place.
pub fn settle(mut answer: Value, days: i64) -> (String, Value) {
    let rollback_id = answer["rollback_change_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a rollback_change_id: {answer:#}"))
        .to_string();
    assert!(rollback_id.starts_with("chg-"), "{rollback_id}");
    answer["rollback_change_id"] = json!("<rollback>");
    for suppression in answer["suppressions"].as_array_mut().into_iter().flatten() {
        let until = suppression["until"].as_str().expect("until");
        assert!(
            is_days_from_now(until, days),
            "{until} is {days} days from now"
        );
        suppression["until"] = json!("<until>");
        assert_eq!(suppression["change_id"], json!(rollback_id));
        suppression["change_id"] = json!("<rollback>");
    }
    (rollback_id, answer)
}

/// Is `until` an RFC 3339 time `days` from now (within two minutes)?
pub fn is_days_from_now(until: &str, days: i64) -> bool {
    let expected_end = state::now_ms() + days * 86_400_000;
    state::parse_time(until).is_some_and(|end| (expected_end - end).abs() < 120_000)
}

/// A suppression as the answer lists it, with the placeholders of [`settle`].
pub fn suppression(resource: &str, guard: &str, rule: &str, original: &str) -> Value {
    json!({
        "resource": resource,
        "guard": guard,
        "rule": rule,
        "until": "<until>",
        "change_id": "<rollback>",
        "reason": format!("rolled back on request (rollback of {original})"),
    })
}

/// What rollback answers when it rolled `record` back, with the
/// placeholders of [`settle`]: the `writes` it made and what they
/// `restored`; `also` the changes of the same write, rolled back with it;
/// the rule of each suppressed.
pub fn rolled_back(
    record: &ChangeRecord,
    writes: Value,
    restored: Value,
    also: &[&ChangeRecord],
) -> Value {
    let suppressions: Vec<Value> = std::iter::once(record)
        .chain(also.iter().copied())
        .map(|r| suppression(&r.resource, &r.guard, &r.rule, &r.change_id))
        .collect();
    let also: Vec<&str> = also.iter().map(|r| r.change_id.as_str()).collect();
    json!({
        "change_id": record.change_id,
        "resource": record.resource,
        "guard": record.guard,
        "rule": record.rule,
        "status": "rolled-back",
        "rollback_change_id": "<rollback>",
        "writes": writes,
        "restored": restored,
        "also_rolled_back": also,
        "suppressions": suppressions,
    })
}
