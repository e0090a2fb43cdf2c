//! Every file in `events/rollback/` through `RollbackFunction` under
//! `sam local`, against change records the guards' own pipelines wrote: a
//! new bucket fixed by bucket-guard, a stopped trail started by
//! trail-guard and a user without MFA quarantined by mfa-guard, each with
//! the state table on, as a deployed stack runs them. The samples' names
//! (`warden-demo-*`, `chg-6756…`) are replaced by this run's; the sample as
//! shipped is sent too, and answered as README says. Every answer is
//! compared whole, and what it claims is read back from the emulator (the
//! bucket's Block Public Access, the state table's records).

use std::time::Instant;

use bucket_guard::BucketGuard;
use bucket_guard::s3::S3Buckets;
use mfa_guard::iam::IamUsers;
use serde_json::{Value, json};
use tokio::task::block_in_place;
use trail_guard::TrailGuard;
use trail_guard::cloudtrail::Trails;
use warden_shared::state::ChangeStatus;
use warden_tests::fixtures::{function_env, unique};
use warden_tests::sam_local::SamLocal;
use warden_tests::sam_local::suite::{
    Report, answer, compare, record_every_file_sent, start_lambda,
};

use super::rollback_world::{
    self as world, BUCKET_EVENTS, MFA_EVENTS, ROLLBACK_EVENTS, TRAIL_EVENTS, World, block,
    change_ids, is_days_from_now, remediate, settle,
};

pub(crate) const FUNCTION: &str = "RollbackFunction";
const LABEL: &str = "rollback";
/// The change id the sample files name.
const SAMPLE_CHANGE: &str = "chg-6756a1c0a3f09e2b7c41d58e";

/// This run's resources and the change the samples roll back.
struct Names {
    bucket: String,
    trail: String,
    user: String,
    /// bucket-guard's Block Public Access change on `bucket`.
    change: String,
}

impl Names {
    fn bucket_arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.bucket)
    }
}

/// Adds a problem unless `got` is the answer about the change the samples
/// roll back: its id, resource, guard and rule, and `rest`.
fn compare_about_the_change(
    problems: &mut Vec<String>,
    got: &Result<Value, String>,
    names: &Names,
    rest: Value,
) {
    let mut answer = json!({
        "change_id": names.change,
        "resource": names.bucket_arn(),
        "guard": "bucket-guard",
        "rule": "public-access-block",
    });
    for (key, value) in rest.as_object().into_iter().flatten() {
        answer[key] = value.clone();
    }
    compare(problems, "the answer", got, &answer);
}

/// The sample `file` naming this run's resources and change.
fn load(file: &str, names: &Names) -> Value {
    let text = ROLLBACK_EVENTS
        .as_shipped(file)
        .to_string()
        .replace("warden-demo-bucket", &names.bucket)
        .replace("warden-demo-trail", &names.trail)
        .replace("warden-demo-user", &names.user)
        .replace(SAMPLE_CHANGE, &names.change);
    serde_json::from_str(&text).expect("still JSON")
}

/// The three guards make their fixes with the state table on; returns the
/// names, with the bucket's Block Public Access change as the one to roll
/// back.
async fn make_changes(w: &World) -> Names {
    let mut names = Names {
        bucket: unique("rb-sam"),
        trail: unique("rb-sam-trail"),
        user: unique("rb-sam-user"),
        change: String::new(),
    };
    w.s3.create_bucket()
        .bucket(&names.bucket)
        .send()
        .await
        .unwrap();
    let guard = BucketGuard::from_env(&[("X", "")][..]).expect("valid bucket settings");
    let pipeline = w.pipeline_with_table(guard, S3Buckets::new(&w.config));
    let outcome = remediate(
        &pipeline,
        BUCKET_EVENTS.load("create-bucket.json", &names.bucket),
    )
    .await;
    names.change = change_ids(&outcome)
        .into_iter()
        .find(|(rule, _)| rule == "public-access-block")
        .map(|(_, id)| id)
        .unwrap_or_else(|| panic!("a public-access-block change in {outcome:#}"));

    w.create_trail(&names.trail).await;
    w.cloudtrail
        .stop_logging()
        .name(&names.trail)
        .send()
        .await
        .unwrap();
    let guard = TrailGuard {
        require_kms_key: false,
    };
    let pipeline = w.pipeline_with_table(guard, Trails::new(&w.config));
    remediate(
        &pipeline,
        TRAIL_EVENTS.load("stop-logging-by-name.json", &names.trail),
    )
    .await;

    w.user_with_password(&names.user).await;
    let users = IamUsers::new(aws_sdk_iam::Client::new(&w.config), w.quarantine.clone());
    let pipeline = w.pipeline_with_table(w.mfa_guard(), users);
    remediate(
        &pipeline,
        MFA_EVENTS.load("create-login-profile.json", &names.user),
    )
    .await;
    names
}

/// A listing as the state table holds it, read independently of the
/// function: `{"resource", "changes", "suppressions"}`.
async fn listing(w: &World, resource: &str) -> Value {
    let suppressions = w.state.suppressions_of(resource).await.expect("Query");
    json!({
        "resource": resource,
        "changes": serde_json::to_value(w.changes(resource).await).unwrap(),
        "suppressions": serde_json::to_value(suppressions).unwrap(),
    })
}

/// Problems unless `got` lists exactly `(guard, rule)` changes, all
/// applied.
fn applied_changes(got: &Result<Value, String>, want: &[(&str, &str)]) -> Vec<String> {
    let Ok(got) = got else {
        return vec![];
    };
    let mut listed: Vec<(String, String, String)> = got["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (text("guard"), text("rule"), text("status"))
        })
        .collect();
    listed.sort();
    let mut wanted: Vec<(String, String, String)> = want
        .iter()
        .map(|(g, r)| (g.to_string(), r.to_string(), "applied".to_string()))
        .collect();
    wanted.sort();
    if listed == wanted {
        vec![]
    } else {
        vec![format!(
            "the listing's (guard, rule, status)\n  got      {listed:?}\n  expected {wanted:?}"
        )]
    }
}

/// Every file of `events/rollback/` through `RollbackFunction` under `sam`
/// (which must have prepared it), against the moto at `endpoint`.
pub(crate) async fn every_event_file(sam: &SamLocal, endpoint: &str) -> Report {
    let mut report = Report::default();
    let w = world::world_at(endpoint).await;
    let names = make_changes(&w).await;
    let arn = names.bucket_arn();
    let env = function_env(
        endpoint,
        vec![
            ("WARDEN_STATE_TABLE".into(), w.table.clone()),
            ("WARDEN_QUARANTINE_POLICY_ARN".into(), w.quarantine.clone()),
        ],
    );
    let Some(server) = start_lambda(sam, FUNCTION, env, LABEL, &mut report) else {
        return report;
    };
    let how = "start-lambda";
    let mut covered: Vec<&str> = Vec::new();
    let mut send = |file: &'static str, payload: &Value| {
        covered.push(file);
        let started = Instant::now();
        let got = answer(block_in_place(|| server.call(FUNCTION, payload)));
        (got, started.elapsed())
    };

    // The sample as shipped names a change this table never held.
    let started = Instant::now();
    let got = answer(block_in_place(|| {
        server.invoke_with_aws_cli(FUNCTION, &ROLLBACK_EVENTS.as_shipped("rollback.json"))
    }));
    let mut problems = Vec::new();
    compare(
        &mut problems,
        "the answer",
        &got,
        &json!({"status": "error", "reason": format!(
            "no change {SAMPLE_CHANGE} in the state table {}: list a resource's changes with {{\"resource\": \"<arn>\"}}",
            w.table)}),
    );
    report.record(
        LABEL,
        "rollback.json (as shipped)",
        "start-lambda + aws lambda invoke",
        started.elapsed(),
        problems,
    );

    // Each resource's books, as the table holds them.
    for (file, resource, want) in [
        (
            "list-bucket.json",
            arn.clone(),
            vec![
                ("bucket-guard", "default-encryption"),
                ("bucket-guard", "tls-required"),
                ("bucket-guard", "tls-version"),
                ("bucket-guard", "public-access-block"),
            ],
        ),
        (
            "list-trail.json",
            format!(
                "arn:aws:cloudtrail:{}:{}:trail/{}",
                world::REGION,
                world::ACCOUNT,
                names.trail
            ),
            vec![("trail-guard", "trail-logging")],
        ),
        (
            "list-user.json",
            format!("arn:aws:iam::{}:user/{}", world::ACCOUNT, names.user),
            vec![("mfa-guard", "console-mfa")],
        ),
    ] {
        let (got, took) = send(file, &load(file, &names));
        let mut problems = Vec::new();
        compare(
            &mut problems,
            "the listing",
            &got,
            &listing(&w, &resource).await,
        );
        problems.extend(applied_changes(&got, &want));
        report.record(LABEL, file, how, took, problems);
    }

    // A dry run: what it would write, and nothing written.
    let all_on = json!({"PublicAccessBlockConfiguration": {
        "BlockPublicAcls": true, "IgnorePublicAcls": true,
        "BlockPublicPolicy": true, "RestrictPublicBuckets": true}});
    let (mut got, took) = send("dry-run.json", &load("dry-run.json", &names));
    let mut problems = Vec::new();
    // When the suppression would end: WARDEN_SUPPRESSION_DAYS (7) from now.
    if let Ok(a) = &mut got {
        let until = a["would_suppress"][0]["until"].take();
        if !until
            .as_str()
            .is_some_and(|until| is_days_from_now(until, 7))
        {
            problems.push(format!(
                "would_suppress ends at {until}, not 7 days from now"
            ));
        }
    }
    compare_about_the_change(
        &mut problems,
        &got,
        &names,
        json!({
            "status": "would-roll-back",
            "writes": [{"call": "DeletePublicAccessBlock"}],
            "now": all_on,
            "restores": {"PublicAccessBlockConfiguration": null},
            "also_rolls_back": [],
            "would_suppress": [{"guard": "bucket-guard", "rule": "public-access-block",
                                "resource": arn, "until": null}],
        }),
    );
    if block(&w, &names.bucket).await != Some([true; 4]) {
        problems.push("the dry run changed the bucket's Block Public Access".into());
    }
    report.record(LABEL, "dry-run.json", how, took, problems);

    // The rollback, suppressed for a day with the file's reason.
    let for_a_day = load("rollback-for-a-day.json", &names);
    let reason = for_a_day["reason"].as_str().expect("a reason").to_string();
    let (got, took) = send("rollback-for-a-day.json", &for_a_day);
    let mut problems = Vec::new();
    let (rollback_id, settled) = match &got {
        Ok(a) if a["status"] == "rolled-back" => {
            let (id, settled) = settle(a.clone(), 1);
            (id, Ok(settled))
        }
        _ => (String::new(), got.clone()),
    };
    compare_about_the_change(
        &mut problems,
        &settled,
        &names,
        json!({
            "status": "rolled-back",
            "rollback_change_id": "<rollback>",
            "writes": [{"call": "DeletePublicAccessBlock"}],
            "restored": {"PublicAccessBlockConfiguration": null},
            "also_rolled_back": [],
            "suppressions": [{"resource": arn, "guard": "bucket-guard",
                "rule": "public-access-block", "until": "<until>", "change_id": "<rollback>",
                "reason": format!("{reason} (rollback of {})", names.change)}],
        }),
    );
    if block(&w, &names.bucket).await.is_some() {
        problems.push("Block Public Access is still configured: it had none before".into());
    }
    let original = w.state.change(&names.change).await.expect("GetItem");
    if original
        .as_ref()
        .map(|r| (&r.status, r.rolled_back_by.as_deref()))
        != Some((&ChangeStatus::RolledBack, Some(rollback_id.as_str())))
    {
        problems.push(format!(
            "the original record is not marked rolled back by {rollback_id}: {original:?}"
        ));
    }
    report.record(LABEL, "rollback-for-a-day.json", how, took, problems);

    // The same change again: refused, naming the rollback that undid it.
    let (got, took) = send("rollback.json", &load("rollback.json", &names));
    let mut problems = Vec::new();
    compare_about_the_change(
        &mut problems,
        &got,
        &names,
        json!({
            "status": "refused",
            "reason": format!("{} was already rolled back (by {rollback_id})", names.change),
        }),
    );
    report.record(LABEL, "rollback.json", how, took, problems);

    // The bucket's books now: the rollback and its suppression listed.
    let (got, took) = send("list-bucket.json", &load("list-bucket.json", &names));
    let mut problems = Vec::new();
    let books = listing(&w, &arn).await;
    compare(&mut problems, "the listing", &got, &books);
    let suppressed: Vec<(&Value, &Value)> = books["suppressions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| (&s["rule"], &s["change_id"]))
        .collect();
    if suppressed != [(&json!("public-access-block"), &json!(rollback_id))] {
        problems.push(format!(
            "the table holds suppressions {suppressed:?}, not the rollback's"
        ));
    }
    report.record(
        LABEL,
        "list-bucket.json (after the rollback)",
        how,
        took,
        problems,
    );

    record_every_file_sent(&mut report, LABEL, &ROLLBACK_EVENTS, &covered);
    report
}
