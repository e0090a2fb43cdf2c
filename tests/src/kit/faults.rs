//! Faults on every write a guard makes: each fix call, met in turn by
//! throttling (every attempt), a 500 (every attempt), a dropped connection,
//! a denial and a quota, through the fault proxy in front of moto.
//!
//! What a retry may help must come back as an error naming the call (Lambda
//! retries, then dead-letters the event); what it cannot must end the check
//! `failed` with the reason and its findings published. Either way no
//! setting is left half-written: every row of the resource's view is as it
//! was before or as the fix makes it.

use super::{Case, Fixture, Seeded, case_settings};
use crate::faults::{Effect, FaultProxy};
use crate::fixtures::unique;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use warden_shared::{Guard, GuardError, Pipeline};

/// The faults, with how many calls each meets (the SDK retries throttling,
/// 5xx and lost connections; a 4xx is final).
fn faults() -> Vec<(&'static str, Effect, u32, bool)> {
    vec![
        ("throttled", Effect::Throttle, u32::MAX, true),
        ("500", Effect::ServerError, u32::MAX, true),
        (
            "cut off",
            Effect::Hang(Duration::from_millis(20)),
            u32::MAX,
            true,
        ),
        ("denied", Effect::Denied, 1, false),
        ("over quota", Effect::Quota, 1, false),
    ]
}

/// Every fix call of the guard's rules, by operation name.
fn fix_operations<G: Guard>(guard: &G) -> BTreeSet<&'static str> {
    guard
        .rules()
        .iter()
        .flat_map(|rule| rule.calls().fixes.iter().map(|call| call.operation))
        .collect()
}

pub async fn faults_on_every_write<F: Fixture>() {
    let proxy = FaultProxy::start(crate::moto().endpoint())
        .await
        .expect("the fault proxy started");
    let world = F::world(proxy.endpoint()).await;
    let config = crate::aws::sdk_config(proxy.endpoint()).await;
    let cases = F::cases();
    let mut env = case_settings(&world, "remediate", &cases[0]);
    let mut writes = fix_operations(F::pipeline(&world, &env).guard());
    env.extend(
        F::OTHER_SETTINGS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    writes.extend(fix_operations(F::pipeline(&world, &env).guard()));

    // Which case makes which write: each case once, without faults, under
    // the default settings and the fixture's other ones.
    let settings = |case: &Case<F>, other: bool| {
        let mut env = case_settings(&world, "remediate", case);
        if other {
            env.extend(
                F::OTHER_SETTINGS
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        }
        env
    };
    let mut reached: Vec<(&'static str, usize, bool)> = Vec::new();
    let passes = if F::OTHER_SETTINGS.is_empty() {
        vec![false]
    } else {
        vec![false, true]
    };
    for other in passes {
        for (index, case) in cases.iter().enumerate() {
            let seeded = F::seed(&world, case, "probe").await;
            proxy.clear();
            let pipeline = F::pipeline(&world, &settings(case, other));
            let _ = pipeline.handle(seeded.event.clone()).await;
            for operation in proxy.seen() {
                if let Some(write) = writes.iter().find(|w| **w == operation)
                    && !reached.iter().any(|(w, _, _)| w == write)
                {
                    reached.push((write, index, other));
                }
            }
        }
    }
    let mut accounted: BTreeSet<&str> = reached.iter().map(|(w, _, _)| *w).collect();
    accounted.extend(F::WRITES_NOT_REACHED.iter().map(|(w, _)| *w));
    assert_eq!(
        accounted, writes,
        "every fix call is reached by a case, or listed in WRITES_NOT_REACHED with why"
    );

    let mut problems = Vec::new();
    for (write, index, other) in &reached {
        let case = &cases[*index];
        for (fault, effect, times, retryable) in faults() {
            let what = format!("{} with {write} {fault}", case.file);
            let seeded = F::seed(&world, case, "fault").await;
            let before = F::view(&world, &seeded).await;
            let alerts = crate::Alerts::subscribe(&config, &unique("fault")).await;
            let mut env = settings(case, *other);
            env.push(("WARDEN_TOPIC_ARN".into(), alerts.topic_arn.clone()));
            let pipeline = F::pipeline(&world, &env);
            proxy.clear();
            proxy.inject_times(write, effect, times);
            let result = pipeline.handle(seeded.event.clone()).await;
            proxy.clear();
            let after = F::view(&world, &seeded).await;
            if let Some(problem) = judge::<F>(&pipeline, write, retryable, result, &alerts).await {
                problems.push(format!("{what}: {problem}"));
            }
            if let Some(problem) = half_written::<F>(case, &seeded, before, after) {
                problems.push(format!("{what}: {problem}"));
            }
        }
    }
    assert!(problems.is_empty(), "faults:\n{}", problems.join("\n"));
}

/// What the check came to, as the fault demands: an error naming the call
/// for a retryable fault; `failed` with the call named and every finding
/// published for the rest.
async fn judge<F: Fixture>(
    _pipeline: &Pipeline<F::Guard>,
    write: &str,
    retryable: bool,
    result: Result<warden_shared::Outcome, GuardError>,
    alerts: &crate::Alerts,
) -> Option<String> {
    match (retryable, result) {
        (true, Err(err)) if err.retryable() && err.operation() == write => None,
        (true, Err(err)) => Some(format!("the wrong error: {err}")),
        (true, Ok(outcome)) => Some(format!(
            "an outcome, not an error: {:?} {:?}",
            outcome.status, outcome.reason
        )),
        (false, Err(err)) => Some(format!("an invocation error, not a failed outcome: {err}")),
        (false, Ok(outcome)) => {
            let reason = outcome.reason.clone().unwrap_or_default();
            if outcome.status != warden_shared::Status::Failed
                || !reason.starts_with(&format!("{write} on "))
            {
                return Some(format!("{:?} because {reason:?}", outcome.status));
            }
            let published: Vec<Value> = alerts
                .received()
                .await
                .iter()
                .filter_map(|body| serde_json::from_str(body).ok())
                .collect();
            let failed = published
                .iter()
                .filter(|a| a["reason"] == reason.as_str())
                .count();
            (failed != outcome.findings.len() || published.len() != outcome.findings.len()).then(
                || {
                    format!(
                        "{} findings, {} alerts, {failed} with the reason",
                        outcome.findings.len(),
                        published.len()
                    )
                },
            )
        }
    }
}

/// Every row of the view after is as it was before, or as the fix makes it.
fn half_written<F: Fixture>(
    case: &Case<F>,
    seeded: &Seeded,
    before: Option<F::View>,
    after: Option<F::View>,
) -> Option<String> {
    let before = before?;
    let fixed = F::describe(&(case.after)(seeded, &before));
    let was = F::describe(&before);
    let now = after.map(|a| F::describe(&a)).unwrap_or_default();
    let odd: Vec<String> = now
        .iter()
        .filter(|row| !was.contains(row) && !fixed.contains(row))
        .map(|(setting, value)| format!("{setting} = {value}"))
        .collect();
    (!odd.is_empty()).then(|| format!("left half-written: {}", odd.join("; ")))
}
