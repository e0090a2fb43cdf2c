//! Every file in `events/<guard>/` through `sam local`, for any guard's
//! test-kit [`Fixture`]: seeded, run and judged as the runtime-loop suites
//! (`kit::runtime_loop` and `kit::runtime_loop_observe`) do, by the
//! fixture's own `seed`, `view`, `expect` and `after`, with SAM and a
//! container where those use the local Runtime API.
//!
//! - The cases that share the function's settings go through one
//!   `sam local start-lambda` and its warm container, as consecutive events
//!   reach one Lambda sandbox, with a malformed and a non-CloudTrail event
//!   among them that must be answered and survived. The first event is sent
//!   with `aws lambda invoke`, the command README gives; the rest over the
//!   same HTTP call directly (the CLI's own start-up is a second per event).
//! - Each case with settings of its own is another deployment of the
//!   function: it gets its own `sam local invoke`.
//! - The first case `remediate` fixes runs once more through
//!   `sam local invoke` in `observe` mode: the plan comes back and nothing
//!   changes.
//! - Each SAM run's log lines carry one EMF metric per finding and one
//!   "handled event" line per CloudTrail event.
//!
//! Each of these is one [`Check`], printed as it ends; a [`Report`] collects
//! them, so one run shows every file that fails, not just the first.
//!
//! SAM and Docker are driven with blocking calls inside
//! [`tokio::task::block_in_place`]: run this on a multi-threaded runtime
//! (`#[tokio::test(flavor = "multi_thread")]`).

mod run;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use serde_json::Value;
use tokio::task::block_in_place;
use warden_shared::Guard;

use super::{SamLocal, StartLambda, template_functions};
use crate::fixtures::{GuardEvents, process_groups};
use crate::kit::{Case, Fixture};
use crate::runtime_api::{FunctionRun, InvocationResult, Timings, parse_log_lines};
use run::Run;

/// How long the logs of a warm container may lag behind its last answer
/// (SAM relays the container's output asynchronously).
const LOG_LAG: Duration = Duration::from_secs(10);

/// One thing the suite checked: an event file through a SAM path, or a
/// property of a whole run.
#[derive(Debug, Clone)]
pub struct Check {
    pub guard: &'static str,
    /// The event file, or what else was checked, in brackets.
    pub subject: String,
    /// The mode and the SAM path (`remediate, sam local start-lambda`).
    pub how: String,
    pub took: Duration,
    /// Empty when the check held.
    pub problems: Vec<String>,
}

impl Check {
    pub fn held(&self) -> bool {
        self.problems.is_empty()
    }
}

/// `sam-local check ok   bucket-guard/create-bucket.json: remediate, ... (0.41 s)`,
/// then one indented line per problem. `tests/run-sam-local` counts these
/// lines.
impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sam-local check {:<4} {}/{}: {} ({:.2} s)",
            if self.held() { "ok" } else { "FAIL" },
            self.guard,
            self.subject,
            self.how,
            self.took.as_secs_f64()
        )?;
        for problem in &self.problems {
            write!(f, "\n    {}", problem.replace('\n', "\n    "))?;
        }
        Ok(())
    }
}

/// Every check of one guard's run, in order.
#[derive(Debug, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.checks.iter().filter(|c| c.held()).count()
    }

    pub fn failed(&self) -> usize {
        self.checks.len() - self.passed()
    }

    /// Fails the calling test with every check that did not hold.
    #[track_caller]
    pub fn assert_held(&self) {
        // Not the checks' own lines again: tests/run-sam-local counts those.
        let failed: Vec<String> = self
            .checks
            .iter()
            .filter(|c| !c.held())
            .map(|c| {
                format!(
                    "{}/{} ({}):\n    {}",
                    c.guard,
                    c.subject,
                    c.how,
                    c.problems.join("\n").replace('\n', "\n    ")
                )
            })
            .collect();
        assert!(
            failed.is_empty(),
            "{} of {} sam local checks failed:\n{}",
            failed.len(),
            self.checks.len(),
            failed.join("\n")
        );
    }

    /// Adds a check and prints its line as it ends.
    pub fn record(
        &mut self,
        guard: &'static str,
        subject: &str,
        how: &str,
        took: Duration,
        problems: Vec<String>,
    ) {
        let check = Check {
            guard,
            subject: subject.to_string(),
            how: how.to_string(),
            took,
            problems,
        };
        println!("{check}");
        self.checks.push(check);
    }
}

/// The logical id in `template.yaml` of the function built from the guard's
/// binary (`bucket-guard` -> `BucketGuardFunction`).
pub fn function_of(guard: &str) -> Option<String> {
    template_functions()
        .into_iter()
        .find(|(_, binary)| binary == guard)
        .map(|(id, _)| id)
}

/// Runs every event file of `F` through its function under `sam` (which
/// must have prepared it) against the moto at `endpoint`, which the
/// container reaches under the same URL (see [`SamLocal::host_address`]).
pub async fn every_event_file<F: Fixture>(sam: &SamLocal, endpoint: &str) -> Report {
    let guard = F::Guard::NAME;
    let mut report = Report::default();
    let Some(function) = function_of(guard) else {
        let problem = format!("template.yaml has no function built from the binary {guard}");
        report.record(guard, "(function)", "-", Duration::ZERO, vec![problem]);
        return report;
    };
    let world = F::world(endpoint).await;
    let cases = F::cases();
    coverage::<F>(&cases, &mut report);

    let run = Run {
        sam,
        function: &function,
        endpoint,
        world: &world,
    };
    for group in process_groups(&cases, |case| !case.env.is_empty()) {
        if group[0].env.is_empty() {
            run.warm_container(&group, &mut report).await;
        } else {
            for case in group {
                run.own_invoke(case, &mut report).await;
            }
        }
    }
    run.observe(&cases, &mut report).await;
    report
}

/// `function` under `sam local start-lambda` with `env`, for a function
/// without a guard's fixture; `None` once a check of `label` says why it did
/// not start.
pub fn start_lambda(
    sam: &SamLocal,
    function: &str,
    env: Vec<(String, String)>,
    label: &'static str,
    report: &mut Report,
) -> Option<StartLambda> {
    match block_in_place(|| sam.start_lambda(&[(function, env)])) {
        Ok(server) => Some(server),
        Err(e) => {
            let problem = format!("sam local start-lambda did not start: {e}");
            report.record(label, "(start-lambda)", "-", Duration::ZERO, vec![problem]);
            None
        }
    }
}

/// A check that `sent` names exactly the JSON files of `events`' folder,
/// for a function without a guard's fixture: a new sample that no SAM
/// check sends fails.
pub fn record_every_file_sent(
    report: &mut Report,
    label: &'static str,
    events: &GuardEvents,
    sent: &[&str],
) {
    let folder = events.guard;
    let files = events.files();
    let mut problems: Vec<String> = files
        .iter()
        .filter(|file| !sent.contains(&file.as_str()))
        .map(|file| format!("events/{folder}/{file} was not sent"))
        .collect();
    problems.extend(
        sent.iter()
            .filter(|file| !files.iter().any(|f| f == *file))
            .map(|file| format!("{file} is not in events/{folder}")),
    );
    report.record(
        label,
        "(every event file sent)",
        &format!("{} files", files.len()),
        Duration::ZERO,
        problems,
    );
}

/// Every event file has a case, and every case a file: a new file is never
/// left out of the SAM run unnoticed.
fn coverage<F: Fixture>(cases: &[Case<F>], report: &mut Report) {
    let mut covered: Vec<&str> = cases.iter().map(|c| c.file).collect();
    covered.sort_unstable();
    let files = F::EVENTS.files();
    let mut problems: Vec<String> = files
        .iter()
        .filter(|file| !covered.contains(&file.as_str()))
        .map(|file| {
            format!(
                "events/{}/{file} has no case in the fixture",
                F::EVENTS.guard
            )
        })
        .collect();
    problems.extend(
        covered
            .iter()
            .filter(|file| !files.iter().any(|f| f == *file))
            .map(|file| format!("the case {file} has no file in events/{}", F::EVENTS.guard)),
    );
    report.record(
        F::Guard::NAME,
        "(every event file has a case)",
        &format!("{} files", files.len()),
        Duration::ZERO,
        problems,
    );
}

/// A SAM answer as the suite judges it: the outcome, or why there is none.
pub fn answer(result: Result<InvocationResult, crate::HarnessError>) -> Result<Value, String> {
    match result {
        Ok(InvocationResult::Response(outcome)) => Ok(outcome),
        Ok(InvocationResult::Error {
            error_type,
            error_message,
        }) => Err(format!(
            "the function answered with an error: {error_type}: {error_message}"
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Adds a problem naming `what` unless `got` is `want`.
pub fn compare(problems: &mut Vec<String>, what: &str, got: &Result<Value, String>, want: &Value) {
    match got {
        Ok(got) if got == want => {}
        Ok(got) => problems.push(format!("{what}\n  got      {got}\n  expected {want}")),
        Err(e) => problems.push(format!("{what}: none: {e}")),
    }
}

/// How many events the function logged as handled.
fn handled_events(logs: &str) -> usize {
    parse_log_lines(logs)
        .iter()
        .filter(|line| line["fields"]["message"] == "handled event")
        .count()
}

/// The runtime-loop suites' metrics-and-logs check
/// ([`FunctionRun::assert_metrics_and_logs`]) on the log lines SAM relayed
/// from the container: one EMF line per finding and a "handled event" line
/// per CloudTrail event in `outcomes`. Its failure is a problem, not a
/// panic, so the other checks still run.
fn metrics_and_logs(guard: &str, logs: String, outcomes: &[Value]) -> Vec<String> {
    // Only the output: what the check reads. The invocations are judged
    // one by one above.
    let run = FunctionRun {
        invocations: vec![],
        init_error: None,
        exit_status: None,
        stdout: logs,
        stderr: String::new(),
        timings: Timings::default(),
        peak_rss_kib: None,
    };
    match catch_unwind(AssertUnwindSafe(|| {
        run.assert_metrics_and_logs(guard, outcomes);
    })) {
        Ok(()) => vec![],
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_else(|| "the metrics and logs check failed".into());
            vec![message]
        }
    }
}
