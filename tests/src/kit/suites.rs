//! The generic suites: each runs one guard's [`Fixture`] against moto, in
//! process (the real pipeline and adapter over HTTP) or through the built
//! binary and the local Runtime API. Every mismatch of a suite is reported
//! together, not just the first.

use super::{Case, Fixture, Seeded};
use crate::fixtures::{handle, observed, settings, unique};
use serde_json::{Value, json};
use warden_shared::{CloudTrailEvent, Guard};

/// The settings a case runs under: `mode`, Warden's role, the guard's own
/// settings and the case's.
pub fn case_settings<F: Fixture>(
    world: &F::World,
    mode: &str,
    case: &Case<F>,
) -> Vec<(String, String)> {
    settings_with::<F>(world, mode, &case.env)
}

/// `mode`, Warden's role, the settings the fixture's world needs, and
/// `own`.
pub fn settings_with<F: Fixture>(
    world: &F::World,
    mode: &str,
    own: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env = settings(mode, F::SELF_ROLE, own);
    env.extend(F::settings(world));
    env
}

/// Collects mismatches so a suite reports every file that fails.
#[derive(Default)]
pub(super) struct Mismatches(Vec<String>);

impl Mismatches {
    pub(super) fn check<T: PartialEq + std::fmt::Debug>(
        &mut self,
        file: &str,
        what: &str,
        got: T,
        want: T,
    ) {
        if got != want {
            self.0.push(format!(
                "{file}: {what}\n  got      {got:?}\n  expected {want:?}"
            ));
        }
    }

    pub(super) fn assert_none(self, suite: &str) {
        assert!(self.0.is_empty(), "{suite}:\n{}", self.0.join("\n"));
    }
}

pub(super) fn shared_endpoint() -> String {
    crate::moto().endpoint().to_string()
}

pub fn every_event_file_has_a_case<F: Fixture>() {
    F::EVENTS.assert_cases_cover(F::cases().iter().map(|c| c.file));
}

/// Seeds `case` (its names tagged `mode`), reads its resources back, and
/// runs its event in `mode`: what was seeded, the resources before, and
/// the outcome.
async fn run_case<F: Fixture>(
    world: &F::World,
    case: &Case<F>,
    mode: &str,
) -> (Seeded, Option<F::View>, Value) {
    let seeded = F::seed(world, case, mode).await;
    let before = F::view(world, &seeded).await;
    let pipeline = F::pipeline(world, &case_settings(world, mode, case));
    let outcome = handle(&pipeline, seeded.event.clone()).await;
    (seeded, before, outcome)
}

/// Every event file in `remediate` mode: the exact outcome, and the
/// resources read back as the case says.
pub async fn remediate_every_file<F: Fixture>() {
    let world = F::world(&shared_endpoint()).await;
    let mut mismatches = Mismatches::default();
    for case in F::cases() {
        let (seeded, before, outcome) = run_case(&world, &case, "remediate").await;
        mismatches.check(case.file, "outcome", outcome, (case.expect)(&seeded));
        if let Some(before) = before {
            let after = F::view(&world, &seeded).await;
            mismatches.check(
                case.file,
                "state after",
                after,
                Some((case.after)(&seeded, &before)),
            );
        }
    }
    mismatches.assert_none("remediate mode");
}

/// Every event file in `observe` mode: the same findings, nothing applied,
/// and every resource exactly as it was.
pub async fn observe_every_file<F: Fixture>() {
    let world = F::world(&shared_endpoint()).await;
    let mut mismatches = Mismatches::default();
    for case in F::cases() {
        let (seeded, before, outcome) = run_case(&world, &case, "observe").await;
        mismatches.check(
            case.file,
            "outcome",
            outcome,
            observed((case.expect)(&seeded)),
        );
        mismatches.check(case.file, "state", F::view(&world, &seeded).await, before);
    }
    mismatches.assert_none("observe mode");
}

/// What a second delivery of an event that was fixed must answer: every
/// resource compliant (or still skipped), nothing to report.
pub fn replayed(first: &Value) -> Value {
    let mut again = first.clone();
    let mut statuses = Vec::new();
    let resources = again.get_mut("resources").and_then(Value::as_array_mut);
    for resource in resources.into_iter().flatten() {
        if resource["status"] != "skipped" {
            resource["status"] = json!("compliant");
            if let Some(map) = resource.as_object_mut() {
                map.remove("reason");
            }
        }
        statuses.push(resource["status"].clone());
    }
    let status = if statuses.is_empty() || statuses.iter().any(|s| s == "compliant") {
        "compliant"
    } else {
        "skipped"
    };
    again["status"] = json!(status);
    again["findings"] = json!([]);
    if let Some(map) = again.as_object_mut() {
        map.remove("reason");
    }
    again
}

/// Every event `remediate` fixed, delivered again: nothing left to do, and
/// nothing written.
pub async fn replay_every_fix<F: Fixture>() {
    let world = F::world(&shared_endpoint()).await;
    let mut mismatches = Mismatches::default();
    for case in F::cases() {
        let seeded = F::seed(&world, &case, "replay").await;
        let expected = (case.expect)(&seeded);
        if expected["status"] != "remediated" {
            continue;
        }
        let pipeline = F::pipeline(&world, &case_settings(&world, "remediate", &case));
        let first = handle(&pipeline, seeded.event.clone()).await;
        let fixed = F::view(&world, &seeded).await;
        let again = handle(&pipeline, seeded.event.clone()).await;
        mismatches.check(case.file, "replay", again, replayed(&first));
        mismatches.check(
            case.file,
            "state after the replay",
            F::view(&world, &seeded).await,
            fixed,
        );
    }
    mismatches.assert_none("replay");
}

/// The first case `remediate` fixes on one resource, its resource exempt:
/// from every rule (skipped, nothing changed), from its first finding's rule
/// (that rule only is left out), and with an expired exemption (enforced as
/// if there were none).
pub async fn exemptions<F: Fixture>() {
    let world = F::world(&shared_endpoint()).await;
    let case = F::cases()
        .into_iter()
        .find(|case| case.file == F::DENIAL_FILE)
        .expect("the denial case, which remediate fixes");
    let tag = warden_shared::Config::DEFAULT_EXEMPTION_TAG;
    let pipeline = F::pipeline(&world, &case_settings(&world, "remediate", &case));

    let all = F::seed(&world, &case, "exempt-all").await;
    F::exempt(&world, &all, "all until=2999-12-31").await;
    let expected = (case.expect)(&all);
    let arn = expected["findings"][0]["resource"]
        .as_str()
        .expect("a finding")
        .to_string();
    let before = F::view(&world, &all).await;
    let reason = format!("{arn} is exempt from every rule (tag {tag})");
    assert_eq!(
        handle(&pipeline, all.event.clone()).await,
        crate::fixtures::outcome(F::Guard::NAME, &all.event, "skipped", Some(&reason), vec![])
    );
    assert_eq!(
        F::view(&world, &all).await,
        before,
        "an exempt resource is not touched"
    );

    let one = F::seed(&world, &case, "exempt-one").await;
    let rule = (case.expect)(&one)["findings"][0]["rule"]
        .as_str()
        .expect("a rule")
        .to_string();
    F::exempt(&world, &one, &rule).await;
    let outcome = handle(&pipeline, one.event.clone()).await;
    let rules_left: Vec<&str> = outcome["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    let expected_left: Vec<String> = (case.expect)(&one)["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["rule"].as_str())
        .filter(|r| *r != rule)
        .map(str::to_string)
        .collect();
    assert_eq!(rules_left, expected_left, "exempt from {rule} only");

    let expired = F::seed(&world, &case, "exempt-expired").await;
    F::exempt(&world, &expired, "all until=2020-01-31").await;
    let before = F::view(&world, &expired).await.expect("a resource");
    assert_eq!(
        handle(&pipeline, expired.event.clone()).await,
        (case.expect)(&expired),
        "an expired exemption exempts nothing"
    );
    assert_eq!(
        F::view(&world, &expired).await,
        Some((case.after)(&expired, &before))
    );
}

/// The denial case's event about a resource that is gone by the time the
/// function reads it (never made here): skipped, the reason naming the
/// resource, with no finding.
pub async fn a_resource_gone_is_skipped<F: Fixture>() {
    let world = F::world(&shared_endpoint()).await;
    let name = unique("gone");
    let event = F::EVENTS.load(F::DENIAL_FILE, &name);
    let env = case_settings(&world, "remediate", &super::binary::denial_case::<F>());
    let outcome = handle(&F::pipeline(&world, &env), event.clone()).await;
    let reason = format!("{} no longer exists", F::resource_arn(&name));
    let skipped =
        crate::fixtures::outcome(F::EVENTS.guard, &event, "skipped", Some(&reason), vec![]);
    assert_eq!(outcome, skipped);
}

/// `notify` mode on the first case with findings: each finding published
/// once to the topic as its record, and nothing changed.
pub async fn notify_publishes<F: Fixture>() {
    let endpoint = shared_endpoint();
    let world = F::world(&endpoint).await;
    let config = crate::aws::sdk_config(&endpoint).await;
    let alerts = crate::Alerts::subscribe(&config, &unique("alerts")).await;
    let cases = F::cases();
    let mut tried = false;
    for case in &cases {
        let seeded = F::seed(&world, case, "notify").await;
        let expected = (case.expect)(&seeded);
        if !matches!(expected["status"].as_str(), Some("remediated" | "notified")) {
            continue;
        }
        tried = true;
        let before = F::view(&world, &seeded).await;
        let mut env = case_settings(&world, "notify", case);
        env.push(("WARDEN_TOPIC_ARN".into(), alerts.topic_arn.clone()));
        let outcome = handle(&F::pipeline(&world, &env), seeded.event.clone()).await;

        let mut notified = observed(expected);
        notified["status"] = json!("notified");
        assert_eq!(outcome, notified, "{}", case.file);
        assert_eq!(
            F::view(&world, &seeded).await,
            before,
            "{}: nothing changes",
            case.file
        );

        let mut received: Vec<Value> = alerts
            .received()
            .await
            .iter()
            .map(|body| serde_json::from_str(body).expect("an alert is JSON"))
            .collect();
        let mut records: Vec<Value> = outcome["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|finding| alert_record(F::Guard::NAME, &seeded.event, finding))
            .collect();
        let key = |v: &Value| format!("{}{}{}", v["rule"], v["resource"], v["evidence"]);
        received.sort_by_key(key);
        records.sort_by_key(key);
        assert_eq!(received, records, "{}: the alerts", case.file);
        break;
    }
    assert!(tried, "a case with findings to publish");
}

/// The alert a finding from `event` is published as in `notify` mode.
pub fn alert_record(guard: &str, event: &Value, finding: &Value) -> Value {
    let parsed = CloudTrailEvent::parse(event).expect("the case's event parses");
    let mut record = json!({
        "guard": guard, "account": parsed.account, "region": parsed.detail.aws_region,
        "trigger": {"event": {"event_id": parsed.detail.event_id, "event_name": parsed.detail.event_name}},
        "event_id": parsed.detail.event_id, "event_name": parsed.detail.event_name,
        "principal": parsed.detail.user_identity.principal(), "mode": "notify", "outcome": "notified",
    });
    for (key, value) in finding.as_object().into_iter().flatten() {
        record[key] = value.clone();
    }
    record
}
