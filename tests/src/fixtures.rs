//! What every guard's test suites share: names no other test uses, the event
//! files in `events/<guard>/`, the outcome contract's shape, the settings
//! every guard reads, and the checks the runtime-loop suites make on a
//! function's process (its environment, the malformed event it must survive,
//! the refused start, one metric per finding).
//!
//! The guard-specific parts (how a resource is seeded and read back, what
//! each event file must produce) stay in each guard's `tests/common`.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use warden_shared::{Guard, Pipeline};

use crate::runtime_api::{FunctionRun, InvocationResult};

/// A short id no other test in this process, or earlier run against a
/// reused emulator, has: process id, a counter and the clock's nanoseconds.
/// Short enough for the tightest resource names the seeder builds from it.
pub fn unique_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}{n}{:x}", std::process::id(), nanos % 0xfffff)
}

/// A resource name (valid as a bucket, user or trail name) that carries
/// `tag` for whoever reads the emulator's state, and [`unique_id`].
pub fn unique(tag: &str) -> String {
    format!("wt-{tag}-{}", unique_id())
}

/// The sample events of one guard, `events/<guard>/*.json`, which name one
/// sample resource (for example `warden-demo-bucket`) that a test swaps for
/// its own.
pub struct GuardEvents {
    pub guard: &'static str,
    pub sample: &'static str,
}

impl GuardEvents {
    /// Every event file's name, sorted, so a new file without a case fails
    /// the suites' coverage check.
    pub fn files(&self) -> Vec<String> {
        let dir = crate::workspace_root().join("events").join(self.guard);
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".json"))
            .collect();
        files.sort();
        files
    }

    /// Asserts the suite's cases name exactly the event files there are: a
    /// new file without a case, or a case whose file is gone, fails.
    pub fn assert_cases_cover<'a>(&self, case_files: impl IntoIterator<Item = &'a str>) {
        let mut covered: Vec<String> = case_files.into_iter().map(str::to_string).collect();
        covered.sort();
        assert_eq!(covered, self.files(), "the cases of events/{}", self.guard);
    }

    /// The event in `file` with the sample resource's name replaced by
    /// `name` everywhere it appears (names, ARNs, hosts, response elements).
    pub fn load(&self, file: &str, name: &str) -> Value {
        self.read(file, name).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`GuardEvents::load`] for callers that report errors instead of
    /// failing a test (the local run, the benchmark).
    pub fn read(&self, file: &str, name: &str) -> Result<Value, String> {
        self.parse(file, |text| text.replace(self.sample, name))
    }

    /// The event in `file` as shipped, no name replaced: the samples of a
    /// function that names no one sample resource (rollback's, the
    /// sweeper's).
    pub fn as_shipped(&self, file: &str) -> Value {
        self.parse(file, |text| text)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse(&self, file: &str, edit: impl FnOnce(String) -> String) -> Result<Value, String> {
        let path = crate::workspace_root()
            .join("events")
            .join(self.guard)
            .join(file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        serde_json::from_str(&edit(text))
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))
    }
}

/// The CloudTrail event id an outcome, alert or log line refers to.
pub fn event_id(event: &Value) -> Value {
    event["detail"]["eventID"].clone()
}

/// The outcome contract: what a guard returns for `event`.
pub fn outcome(
    guard: &str,
    event: &Value,
    status: &str,
    reason: Option<&str>,
    findings: Vec<Value>,
) -> Value {
    let (id, name) = (&event["detail"]["eventID"], &event["detail"]["eventName"]);
    let mut value = json!({"guard": guard, "trigger": {"event": {"event_id": id, "event_name": name}},
        "event_id": id, "event_name": name, "status": status, "findings": findings});
    if let Some(reason) = reason {
        value["reason"] = json!(reason);
    }
    value
}

/// `outcome` with `status` and every finding marked not applied: what
/// `observe` or `notify` report for the plan `remediate` carried out. Each
/// resource that `remediate` fixed or notified gets `status` too, without a
/// reason (nothing was attempted).
pub fn unapplied(mut outcome: Value, status: &str) -> Value {
    outcome["status"] = json!(status);
    for finding in outcome["findings"].as_array_mut().into_iter().flatten() {
        finding["applied"] = json!(false);
    }
    let resources = outcome.get_mut("resources").and_then(Value::as_array_mut);
    for resource in resources.into_iter().flatten() {
        if matches!(resource["status"].as_str(), Some("remediated" | "notified")) {
            resource["status"] = json!(status);
            if let Some(map) = resource.as_object_mut() {
                map.remove("reason");
            }
        }
    }
    outcome
}

/// What `observe` reports for an event `remediate` fixed or notified: the
/// same findings, nothing applied, and no reason (nothing was attempted, so
/// nothing was held back). Skips and compliant outcomes are the same in
/// every mode.
pub fn observed(outcome: Value) -> Value {
    if !matches!(outcome["status"].as_str(), Some("remediated" | "notified")) {
        return outcome;
    }
    let mut outcome = unapplied(outcome, "observed");
    if let Some(map) = outcome.as_object_mut() {
        map.remove("reason");
    }
    outcome
}

/// The settings every guard reads (`WARDEN_MODE`, `WARDEN_SELF_ARN`) and the
/// guard's own, as the template would pass them.
pub fn settings(mode: &str, self_arn: &str, own: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = vec![
        ("WARDEN_MODE".to_string(), mode.to_string()),
        ("WARDEN_SELF_ARN".to_string(), self_arn.to_string()),
    ];
    env.extend(own.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

/// Runs one event through an in-process pipeline and returns the outcome
/// JSON, failing the test on an infrastructure error.
pub async fn handle<G: Guard>(pipeline: &Pipeline<G>, event: Value) -> Value {
    let outcome = pipeline
        .handle(event)
        .await
        .unwrap_or_else(|e| panic!("no infrastructure error expected: {e}"));
    serde_json::to_value(outcome).expect("an outcome serialises")
}

/// A function process's environment: the emulator at `endpoint`, the
/// guard's `settings`, and debug logging (so the leak and log checks see
/// everything the function can write).
pub fn function_env(endpoint: &str, settings: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut env = crate::aws::lambda_env(endpoint);
    env.extend(settings);
    env.push(("AWS_LAMBDA_LOG_LEVEL".into(), "debug".into()));
    env
}

/// `env` with AWS behind a closed loopback port and no retries, so the
/// first AWS call fails to connect at once.
pub fn unreachable_aws(mut env: Vec<(String, String)>) -> Vec<(String, String)> {
    env.retain(|(k, _)| k != "AWS_ENDPOINT_URL" && k != "AWS_MAX_ATTEMPTS");
    env.push(("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into()));
    env.push(("AWS_MAX_ATTEMPTS".into(), "1".into()));
    env
}

/// A CloudTrail event with a field of the wrong kind: a function must
/// answer it `failed`, naming the field, and carry on with the next event.
pub fn malformed_event() -> Value {
    json!({"id": "malformed-envelope", "detail-type": "AWS API Call via CloudTrail",
           "detail": {"eventID": "malformed-1", "eventName": "PutBucketPolicy", "eventSource": ["not", "a", "string"]}})
}

/// What `guard` answers to [`malformed_event`].
pub fn malformed_outcome(guard: &str) -> Value {
    json!({"guard": guard, "trigger": {"event": {"event_id": "malformed-1", "event_name": "PutBucketPolicy"}},
           "event_id": "malformed-1", "event_name": "PutBucketPolicy", "status": "failed",
           "reason": "malformed event: event field `detail.eventSource` is an array, expected a string",
           "findings": []})
}

/// An EventBridge event that is not a CloudTrail record at all (a GuardDuty
/// finding): a function must skip it and carry on.
pub fn foreign_event() -> Value {
    json!({"id": "guardduty-1", "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
           "detail": {"schemaVersion": "2.0", "type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2}})
}

/// What `guard` answers to [`foreign_event`].
pub fn foreign_outcome(guard: &str) -> Value {
    json!({"guard": guard, "trigger": {"event": {"event_id": "guardduty-1", "event_name": null}},
           "event_id": "guardduty-1", "event_name": null, "status": "skipped",
           "reason": "not a CloudTrail event (detail-type `GuardDuty Finding`)", "findings": []})
}

/// Splits `cases` into the processes a runtime-loop suite starts: every
/// case that needs no settings of its own shares the first (warm) process,
/// as consecutive events would in Lambda; each other case gets its own.
pub fn process_groups<C>(cases: &[C], has_own_settings: impl Fn(&C) -> bool) -> Vec<Vec<&C>> {
    let (own, shared): (Vec<&C>, Vec<&C>) = cases.iter().partition(|case| has_own_settings(case));
    let mut groups = vec![shared];
    groups.extend(own.into_iter().map(|case| vec![case]));
    groups.retain(|group| !group.is_empty());
    groups
}

impl FunctionRun {
    /// The outcome of every invocation, in order; an invocation error fails
    /// the test with the function's stderr.
    pub fn responses(&self) -> Vec<Value> {
        self.invocations
            .iter()
            .map(|invocation| match &invocation.result {
                InvocationResult::Response(value) => value.clone(),
                InvocationResult::Error {
                    error_type,
                    error_message,
                } => panic!(
                    "invocation failed: {error_type}: {error_message}\nstderr:\n{}",
                    self.stderr
                ),
            })
            .collect()
    }

    /// Asserts the function refused to start over a bad setting: no event
    /// handled, the init error reported with `message`, a failed exit.
    pub fn assert_refused_start(&self, message: &str) {
        assert!(self.invocations.is_empty(), "no event may be handled");
        assert_eq!(
            self.init_error,
            Some(json!({"errorType": "Warden.InvalidConfiguration", "errorMessage": message}))
        );
        assert!(
            self.exit_status.is_some_and(|status| !status.success()),
            "the process must exit with a failure, got {:?}",
            self.exit_status
        );
    }

    /// Asserts what a warm process wrote for `outcomes`: one EMF metric line
    /// per finding (namespace `Warden`, this guard, the finding's own
    /// outcome: `remediated` when applied, else the event's status), and one
    /// "handled event" JSON log line per outcome.
    pub fn assert_metrics_and_logs(&self, guard: &str, outcomes: &[Value]) {
        let logs = self.log_lines();
        let mut metrics: Vec<(String, String)> = logs
            .iter()
            // The `Findings` metric; `ChangeToFixMs` lines are EMF too.
            .filter(|line| line.get("_aws").is_some() && line.get("Findings").is_some())
            .map(|m| {
                assert_eq!(m["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Warden");
                assert_eq!(m["guard"], guard);
                assert_eq!(m["Findings"], 1);
                (text(&m["rule"]), text(&m["outcome"]))
            })
            .collect();
        metrics.sort();
        let mut expected: Vec<(String, String)> = outcomes
            .iter()
            .flat_map(|o| {
                o["findings"].as_array().into_iter().flatten().map(|f| {
                    let outcome = if f["applied"] == true {
                        "remediated".to_string()
                    } else {
                        text(&o["status"])
                    };
                    (text(&f["rule"]), outcome)
                })
            })
            .collect();
        expected.sort();
        assert_eq!(metrics, expected, "EMF metric lines");

        let handled = logs
            .iter()
            .filter(|line| line["fields"]["message"] == "handled event")
            .count();
        assert_eq!(handled, outcomes.len(), "logs:\n{}", self.stdout);
    }
}

/// Asserts the first invocation was an infrastructure error
/// (`Warden.AwsError`) naming one of `calls` on `resource`: what a function
/// must report when AWS cannot be reached, so Lambda retries the event.
pub fn assert_failed_call(run: &FunctionRun, calls: &[&str], resource: &str) {
    let (error_type, error_message) = run.invocations[0].expect_error();
    assert_eq!(error_type, "Warden.AwsError", "{error_message}");
    assert!(
        calls
            .iter()
            .any(|call| error_message.starts_with(&format!("{call} on {resource} failed"))),
        "expected one of {calls:?} on {resource} to fail: {error_message}"
    );
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ_and_fit_a_bucket_name() {
        let a = unique("remediate-observe");
        let b = unique("remediate-observe");
        assert_ne!(a, b);
        assert!(a.len() <= 63, "{a}");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{a}"
        );
    }

    #[test]
    fn observed_keeps_skips_and_drops_what_was_held_back() {
        let skipped = json!({"status": "skipped", "reason": "read-only call", "findings": []});
        assert_eq!(observed(skipped.clone()), skipped);
        let notified = json!({"status": "notified", "reason": "blocked",
                              "findings": [{"rule": "r", "applied": false}]});
        assert_eq!(
            observed(notified),
            json!({"status": "observed", "findings": [{"rule": "r", "applied": false}]})
        );
    }

    #[test]
    fn groups_share_one_process_unless_a_case_has_its_own_settings() {
        let cases = [("a", false), ("b", true), ("c", false), ("d", true)];
        let groups = process_groups(&cases, |c| c.1);
        let names: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.iter().map(|c| c.0).collect())
            .collect();
        assert_eq!(names, vec![vec!["a", "c"], vec!["b"], vec!["d"]]);
        assert!(process_groups(&[("b", true)], |c| c.1).len() == 1);
    }

    #[test]
    fn every_guard_has_sample_events() {
        for guard in ["bucket-guard", "tag-guard", "mfa-guard", "trail-guard"] {
            let events = GuardEvents { guard, sample: "" };
            assert!(!events.files().is_empty(), "{guard}");
        }
    }
}
