//! One recorded change, turned into what undoing it takes: the resource as
//! its guard names it, how to read what the rule writes there now (the
//! guard's own adapter and `Guard::written`), and the guard's restore write.

use bucket_guard::restore::BucketRestore;
use bucket_guard::s3::S3Buckets;
use bucket_guard::{Bucket, BucketGuard};
use mfa_guard::iam::IamUsers;
use mfa_guard::restore::MfaRestore;
use mfa_guard::subject::{MfaState, User};
use mfa_guard::{MfaAction, MfaGuard};
use serde_json::Value;
use tag_guard::TagGuard;
use trail_guard::cloudtrail::Trails;
use trail_guard::restore::TrailRestore;
use trail_guard::{Trail, TrailGuard};
use warden_shared::arn::Arn;
use warden_shared::state::ChangeRecord;
use warden_shared::{AwsCall, Guard, GuardError};

/// The clients and guards rollback reads and writes with, built once.
pub struct Guards {
    pub s3: S3Buckets,
    pub trails: Trails,
    /// `None` without `WARDEN_QUARANTINE_POLICY_ARN`.
    pub users: Option<IamUsers>,
    pub bucket: BucketGuard,
    pub trail: TrailGuard,
    /// Quarantine mode, with the stack's quarantine policy: the only
    /// mfa-guard change rollback undoes.
    pub mfa: Option<MfaGuard>,
}

impl Guards {
    pub fn new(aws: &aws_config::SdkConfig, quarantine_policy_arn: Option<String>) -> Self {
        Self {
            s3: S3Buckets::new(aws),
            trails: Trails::new(aws),
            users: quarantine_policy_arn
                .clone()
                .map(|arn| IamUsers::new(aws_sdk_iam::Client::new(aws), arn)),
            // `written` reads no setting of these two guards.
            bucket: BucketGuard {
                min_encryption: bucket_guard::encryption::MinEncryption::SseS3,
                kms_key_arn: None,
                require_public_access_block: true,
            },
            trail: TrailGuard {
                require_kms_key: true,
            },
            mfa: quarantine_policy_arn.map(|arn| MfaGuard {
                action: MfaAction::Quarantine,
                quarantine_policy_arn: arn,
            }),
        }
    }
}

/// What undoing one change takes.
#[derive(Debug, Clone)]
pub enum Undo {
    Bucket(Bucket, BucketRestore),
    Trail(Trail, TrailRestore),
    User(User, MfaRestore),
}

/// Why a change cannot be undone.
pub type Refusal = String;

impl Undo {
    /// The undo of `record`, or why there is none.
    pub fn of(guards: &Guards, record: &ChangeRecord) -> Result<Self, Refusal> {
        let rule = record.rule.as_str();
        let guard = record.guard.as_str();
        if guard == TagGuard::NAME {
            return Err(tag_guard::restore::NOT_RESTORABLE.to_string());
        }
        if guard == BucketGuard::NAME {
            let bucket = bucket(record)?;
            let restore = BucketRestore::of(rule, &record.before)?;
            Ok(Undo::Bucket(bucket, restore))
        } else if guard == TrailGuard::NAME {
            let trail = Trail::parse(
                &record.resource,
                "resource",
                &record.region,
                &record.account,
            )
            .map_err(|e| format!("the recorded resource is not a trail: {e}"))?;
            let restore = TrailRestore::of(rule, &record.before, &record.after)?;
            Ok(Undo::Trail(trail, restore))
        } else if guard == MfaGuard::NAME {
            let user = user(record)?;
            let Some(mfa) = &guards.mfa else {
                return Err(format!(
                    "{} is not set, so rollback does not know the quarantine policy it may detach: give the function the template's MfaQuarantinePolicy",
                    MfaGuard::QUARANTINE_POLICY_ARN
                ));
            };
            let restore = MfaRestore::of(mfa, rule, &record.before, &record.after)?;
            Ok(Undo::User(user, restore))
        } else {
            Err(format!(
                "{guard} is not a guard whose changes rollback knows (bucket-guard, trail-guard, mfa-guard; tag-guard's are never restorable)"
            ))
        }
    }

    /// The call the undo makes.
    pub fn call(&self) -> AwsCall {
        match self {
            Undo::Bucket(_, restore) => restore.call(),
            Undo::Trail(_, restore) => restore.call(),
            Undo::User(_, restore) => restore.call(),
        }
    }

    /// The write as a dry run and the answer show it.
    pub fn describe(&self) -> Value {
        match self {
            Undo::Bucket(_, restore) => restore.describe(),
            Undo::Trail(_, restore) => restore.describe(),
            Undo::User(user, restore) => restore.describe(user),
        }
    }

    /// What `rule` writes on the resource as it is now, through the guard's
    /// own adapter and `written`; `None` when the resource is gone.
    pub async fn read(&self, guards: &Guards, rule: &str) -> Result<Option<Value>, GuardError> {
        match self {
            Undo::Bucket(bucket, _) => Ok(guards
                .s3
                .read(bucket)
                .await?
                .map(|snapshot| guards.bucket.written(rule, &snapshot.state))),
            Undo::Trail(trail, _) => Ok(guards
                .trails
                .read(trail)
                .await?
                .map(|snapshot| guards.trail.written(rule, &snapshot.state))),
            Undo::User(user, _) => {
                let (Some(users), Some(mfa)) = (&guards.users, &guards.mfa) else {
                    return Ok(None);
                };
                Ok(users
                    .read(user)
                    .await?
                    .map(|snapshot| mfa.written(rule, &MfaState::User(snapshot.state))))
            }
        }
    }

    /// Makes the write.
    pub async fn apply(&self, guards: &Guards) -> Result<(), GuardError> {
        match self {
            Undo::Bucket(bucket, restore) => restore.apply(&guards.s3, bucket).await,
            Undo::Trail(trail, restore) => restore.apply(&guards.trails, trail).await,
            Undo::User(user, restore) => match &guards.users {
                Some(users) => restore.apply(users, user).await,
                None => Ok(()),
            },
        }
    }

    /// Whether `now`, read back after the write, is `before` restored.
    pub fn holds(&self, before: &Value, now: &Value) -> bool {
        match self {
            Undo::Bucket(_, restore) => restore.holds(before, now),
            Undo::Trail(..) | Undo::User(..) => before == now,
        }
    }
}

fn bucket(record: &ChangeRecord) -> Result<Bucket, Refusal> {
    let name = Arn::parse(&record.resource)
        .filter(|arn| {
            arn.service == "s3" && !arn.resource.is_empty() && !arn.resource.contains('/')
        })
        .map(|arn| arn.resource)
        .ok_or_else(|| format!("{} is not an S3 bucket ARN", record.resource))?;
    if record.region.is_empty() {
        return Err(format!(
            "the record of {} names no region, and S3 calls about a bucket go to its own region",
            record.resource
        ));
    }
    let mut bucket = Bucket::new(name, &record.region);
    bucket.arn = record.resource.clone();
    Ok(bucket)
}

fn user(record: &ChangeRecord) -> Result<User, Refusal> {
    let arn = Arn::parse(&record.resource)
        .filter(|arn| arn.service == "iam")
        .filter(|arn| arn.typed_resource().is_some_and(|(kind, _)| kind == "user"))
        .ok_or_else(|| format!("{} is not an IAM user ARN", record.resource))?;
    Ok(User {
        name: arn.resource_name().to_string(),
        arn: record.resource.clone(),
    })
}
