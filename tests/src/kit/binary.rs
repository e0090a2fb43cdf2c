//! The suites through the built binary and the local Runtime API, as
//! Lambda runs it: the runtime loop, the refused start, an unreachable AWS
//! and a denied fix.

use super::suites::{Mismatches, case_settings, shared_endpoint};
use super::{Case, Fixture, Seeded};
use crate::fixtures::{
    assert_failed_call, foreign_event, foreign_outcome, function_env, malformed_event,
    malformed_outcome, observed, process_groups,
};
use crate::runtime_api::run_function;
use serde_json::Value;
use std::path::Path;
use warden_shared::{Guard, guard::permissions};

/// Every event file through the built binary and the local Runtime API, as
/// Lambda runs it: cases without settings of their own share one warm
/// process, a malformed event and a non-CloudTrail one mid-stream are
/// answered and survived, one EMF line per finding and a log line per
/// CloudTrail event are written.
pub async fn runtime_loop<F: Fixture>(binary: &Path) {
    let endpoint = shared_endpoint();
    let world = F::world(&endpoint).await;
    let cases = F::cases();
    let mut mismatches = Mismatches::default();
    for group in process_groups(&cases, |case| !case.env.is_empty()) {
        let mut seeded = Vec::new();
        let mut befores = Vec::new();
        for case in &group {
            let one = F::seed(&world, case, "loop").await;
            befores.push(F::view(&world, &one).await);
            seeded.push(one);
        }
        let mut payloads: Vec<Value> = seeded.iter().map(|s| s.event.clone()).collect();
        payloads.insert(1, malformed_event());
        payloads.insert(2, foreign_event());

        let env = function_env(&endpoint, case_settings(&world, "remediate", group[0]));
        let run = run_function(binary, &env, &payloads)
            .await
            .expect("the function ran");

        assert_eq!(
            run.exit_status, None,
            "the process must not exit; stderr:\n{}",
            run.stderr
        );
        let mut outcomes = run.responses();
        assert_eq!(outcomes.remove(1), malformed_outcome(F::Guard::NAME));
        let foreign = outcomes.remove(1);
        assert_eq!(foreign, foreign_outcome(F::Guard::NAME));
        assert_eq!(outcomes.len(), group.len());
        for ((case, (one, before)), outcome) in
            group.iter().zip(seeded.iter().zip(&befores)).zip(&outcomes)
        {
            mismatches.check(case.file, "outcome", outcome.clone(), (case.expect)(one));
            if let Some(before) = before {
                mismatches.check(
                    case.file,
                    "state after",
                    F::view(&world, one).await,
                    Some((case.after)(one, before)),
                );
            }
        }
        outcomes.push(foreign);
        run.assert_metrics_and_logs(F::Guard::NAME, &outcomes);
    }
    mismatches.assert_none("runtime loop");
}

/// The first case `remediate` fixes, through the binary in `observe` mode:
/// the plan is returned and nothing changes.
pub async fn runtime_loop_observe<F: Fixture>(binary: &Path) {
    let endpoint = shared_endpoint();
    let world = F::world(&endpoint).await;
    for case in F::cases() {
        let seeded = F::seed(&world, &case, "loop-observe").await;
        let expected = (case.expect)(&seeded);
        if expected["status"] != "remediated" {
            continue;
        }
        let before = F::view(&world, &seeded).await;
        let env = function_env(&endpoint, case_settings(&world, "observe", &case));
        let run = run_function(binary, &env, std::slice::from_ref(&seeded.event))
            .await
            .expect("the function ran");
        assert_eq!(run.responses(), vec![observed(expected)], "{}", case.file);
        assert_eq!(F::view(&world, &seeded).await, before, "{}", case.file);
        return;
    }
    panic!("no case is remediated");
}

pub(super) fn denial_case<F: Fixture>() -> Case<F> {
    F::cases()
        .into_iter()
        .find(|case| case.file == F::DENIAL_FILE)
        .unwrap_or_else(|| panic!("a case for {}", F::DENIAL_FILE))
}

/// A bad setting: the start is refused through the Runtime API's init-error
/// call, naming the variable, and no event is handled.
pub async fn refused_start<F: Fixture>(binary: &Path) {
    let endpoint = shared_endpoint();
    let world = F::world(&endpoint).await;
    let (var, value, message) = F::BAD_SETTING;
    let mut env = function_env(
        &endpoint,
        case_settings(&world, "remediate", &denial_case::<F>()),
    );
    env.retain(|(k, _)| k != var);
    env.push((var.into(), value.into()));
    let event = F::EVENTS.load(F::DENIAL_FILE, "never-created");
    let run = run_function(binary, &env, &[event])
        .await
        .expect("the harness ran");
    run.assert_refused_start(message);
}

/// AWS behind a closed port: an invocation error naming one of the guard's
/// reads on the resource, so Lambda retries the event.
pub async fn unreachable_endpoint<F: Fixture>(binary: &Path) {
    let endpoint = shared_endpoint();
    let world = F::world(&endpoint).await;
    let env = crate::fixtures::unreachable_aws(function_env(
        &endpoint,
        case_settings(&world, "remediate", &denial_case::<F>()),
    ));
    let event = F::EVENTS.load(F::DENIAL_FILE, "unreachable");
    let pipeline = F::pipeline(&world, &env);
    let mut reads: Vec<&str> = <F::Guard as Guard>::READS
        .iter()
        .chain(
            pipeline
                .guard()
                .rules()
                .iter()
                .flat_map(|rule| rule.calls().reads.iter()),
        )
        .map(|call| call.operation)
        .collect();
    reads.dedup();
    let run = run_function(binary, &env, &[event])
        .await
        .expect("the harness ran");
    assert_failed_call(&run, &reads, &F::resource_arn("unreachable"));
}

/// The function's credentials allow every call the guard makes but
/// `DENIED`, one of its fixes: no retry can help, so the check ends `failed`
/// (not an invocation error) with its findings and a reason that names the
/// call, the resource and the permission to grant. (That the findings of a
/// failed check are published is shown by the fault suites: moto cannot
/// sign SNS calls for a user under IAM enforcement.)
pub async fn access_denied<F: Fixture>(binary: &Path) {
    let moto = crate::start_private().expect("moto started");
    let world = F::world(moto.endpoint()).await;
    let case = denial_case::<F>();
    let seeded = F::seed(&world, &case, "denied").await;
    let case_env = case_settings(&world, "remediate", &case);
    let config = crate::aws::sdk_config(moto.endpoint()).await;
    let pipeline = F::pipeline(&world, &case_env);
    let allowed: Vec<&str> = permissions(pipeline.guard())
        .into_iter()
        .filter(|action| *action != F::DENIED.permission)
        .chain(F::MOTO_ACTIONS.iter().copied())
        .collect();
    let mut env = crate::aws::lambda_env_as_user(
        moto.endpoint(),
        &aws_sdk_iam::Client::new(&config),
        &format!("{}-denied", F::Guard::NAME),
        &allowed,
    )
    .await;
    env.extend(case_env);
    moto.enforce_iam().expect("moto enforces IAM from now on");

    let run = run_function(binary, &env, std::slice::from_ref(&seeded.event))
        .await
        .expect("the harness ran");

    let arn = match seeded.arns.first() {
        Some(arn) => arn.clone(),
        None => F::resource_arn(&seeded.name),
    };
    let outcome = run.responses().remove(0);
    assert_eq!(outcome["status"], "failed", "{outcome}");
    let reason = outcome["reason"].as_str().unwrap_or_default();
    let expected = format!(
        "{} on {arn} was denied: grant the function's role `{}` on it (",
        F::DENIED.operation,
        F::DENIED.permission
    );
    assert!(
        reason.starts_with(&expected)
            && reason.contains(F::DENIED.permission.rsplit(':').next().unwrap_or("")),
        "expected {expected}...): {reason}"
    );
    let findings = outcome["findings"].as_array().cloned().unwrap_or_default();
    assert!(
        !findings.is_empty() && findings.iter().any(|f| f["applied"] == false),
        "{outcome}"
    );
}

/// Seeds every case of `F` once, for callers that drive the cases
/// themselves (the local run).
pub async fn seed_all<F: Fixture>(world: &F::World, tag: &str) -> Vec<(Case<F>, Seeded)> {
    let mut seeded = Vec::new();
    for case in F::cases() {
        let one = F::seed(world, &case, tag).await;
        seeded.push((case, one));
    }
    seeded
}
