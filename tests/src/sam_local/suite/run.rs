//! One guard's run through SAM: its cases seeded, sent through a warm
//! `start-lambda` container or their own `sam local invoke`, and judged.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::block_in_place;
use warden_shared::Guard;

use super::{LOG_LAG, Report, answer, compare, handled_events, metrics_and_logs};
use crate::fixtures::{
    foreign_event, foreign_outcome, function_env, malformed_event, malformed_outcome, observed,
};
use crate::kit::{Case, Fixture, Seeded, case_settings};
use crate::sam_local::SamLocal;

/// One case as seeded before its event.
struct Prepared<'c, F: Fixture> {
    case: &'c Case<F>,
    seeded: Seeded,
    before: Option<F::View>,
}

/// What a case's resources must be after its event.
#[derive(Debug, Clone, Copy)]
enum State {
    /// The case's `after` of the state before (remediate mode).
    AsTheCaseSays,
    /// Exactly as before (observe mode).
    Unchanged,
}

/// What one guard's run shares.
pub(super) struct Run<'a, F: Fixture> {
    pub(super) sam: &'a SamLocal,
    pub(super) function: &'a str,
    pub(super) endpoint: &'a str,
    pub(super) world: &'a F::World,
}

impl<F: Fixture> Run<'_, F> {
    async fn prepare<'c>(&self, case: &'c Case<F>, tag: &str) -> Prepared<'c, F> {
        let seeded = F::seed(self.world, case, tag).await;
        let before = F::view(self.world, &seeded).await;
        Prepared {
            case,
            seeded,
            before,
        }
    }

    fn env(&self, mode: &str, case: &Case<F>) -> Vec<(String, String)> {
        function_env(self.endpoint, case_settings(self.world, mode, case))
    }

    /// The cases that share the function's settings, in one warm container
    /// of `sam local start-lambda`.
    pub(super) async fn warm_container(&self, group: &[&Case<F>], report: &mut Report) {
        let guard = F::Guard::NAME;
        let mut prepared = Vec::new();
        for case in group {
            prepared.push(self.prepare(case, "samwarm").await);
        }
        // As the runtime-loop suite sends them: a malformed event second and
        // a non-CloudTrail one third, so the cases after them show the
        // container survived both.
        let mut payloads: Vec<Value> = prepared.iter().map(|p| p.seeded.event.clone()).collect();
        payloads.insert(1, malformed_event());
        payloads.insert(2, foreign_event());

        let env = self.env("remediate", group[0]);
        let started = Instant::now();
        let server = block_in_place(|| self.sam.start_lambda(&[(self.function, env)]));
        let server = match server {
            Ok(server) => server,
            Err(e) => {
                let problem = format!("sam local start-lambda did not start: {e}");
                for one in &prepared {
                    let how = "remediate, sam local start-lambda";
                    report.record(
                        guard,
                        one.case.file,
                        how,
                        Duration::ZERO,
                        vec![problem.clone()],
                    );
                }
                return;
            }
        };
        println!(
            "sam-local: {guard}: start-lambda accepting invocations after {:.1} s ({})",
            started.elapsed().as_secs_f64(),
            server.command()
        );

        let mut answers: Vec<(Result<Value, String>, Duration, &str)> = Vec::new();
        for (index, payload) in payloads.iter().enumerate() {
            let started = Instant::now();
            let (result, how) = if index == 0 {
                let result = block_in_place(|| server.invoke_with_aws_cli(self.function, payload));
                (result, "remediate, start-lambda + aws lambda invoke")
            } else {
                let result = block_in_place(|| server.call(self.function, payload));
                (result, "remediate, start-lambda")
            };
            answers.push((answer(result), started.elapsed(), how));
        }

        let malformed = answers.remove(1);
        let foreign = answers.remove(1);
        let mut problems = Vec::new();
        compare(
            &mut problems,
            "the malformed event's outcome",
            &malformed.0,
            &malformed_outcome(guard),
        );
        compare(
            &mut problems,
            "the non-CloudTrail event's outcome",
            &foreign.0,
            &foreign_outcome(guard),
        );
        report.record(
            guard,
            "(a malformed and a non-CloudTrail event mid-stream)",
            "start-lambda",
            malformed.1 + foreign.1,
            problems,
        );

        let mut outcomes = Vec::new();
        for (one, (outcome, took, how)) in prepared.iter().zip(answers) {
            let expected = (one.case.expect)(&one.seeded);
            let problems = self
                .judge(one, &outcome, &expected, State::AsTheCaseSays)
                .await;
            report.record(guard, one.case.file, how, took, problems);
            outcomes.push(outcome);
        }
        outcomes.push(foreign.0);

        let started = Instant::now();
        let problems = match outcomes.into_iter().collect::<Result<Vec<Value>, String>>() {
            Err(_) => vec!["not checked: not every event was answered (see above)".into()],
            Ok(outcomes) => {
                let logs = block_in_place(|| {
                    server.logs_once(|logs| handled_events(logs) >= outcomes.len(), LOG_LAG)
                });
                metrics_and_logs(guard, logs, &outcomes)
            }
        };
        report.record(
            guard,
            "(EMF metrics and log lines)",
            "start-lambda",
            started.elapsed(),
            problems,
        );
    }

    /// A case with settings of its own, through `sam local invoke`.
    pub(super) async fn own_invoke(&self, case: &Case<F>, report: &mut Report) {
        let one = self.prepare(case, "saminv").await;
        let env = self.env("remediate", case);
        let expected = (case.expect)(&one.seeded);
        let (took, problems) = self
            .invoke(&one, &env, &expected, State::AsTheCaseSays)
            .await;
        report.record(
            F::Guard::NAME,
            case.file,
            "remediate (own settings), sam local invoke",
            took,
            problems,
        );
    }

    /// The first case `remediate` fixes, in `observe` mode through
    /// `sam local invoke`: the plan, nothing applied, nothing changed.
    pub(super) async fn observe(&self, cases: &[Case<F>], report: &mut Report) {
        let guard = F::Guard::NAME;
        for case in cases {
            let one = self.prepare(case, "samobs").await;
            let expected = (case.expect)(&one.seeded);
            if expected["status"] != "remediated" {
                continue;
            }
            let env = self.env("observe", case);
            let (took, problems) = self
                .invoke(&one, &env, &observed(expected), State::Unchanged)
                .await;
            report.record(
                guard,
                case.file,
                "observe, sam local invoke",
                took,
                problems,
            );
            return;
        }
        let problem =
            "no case is remediated, so observe mode is not shown to change nothing".into();
        report.record(
            guard,
            "(observe)",
            "sam local invoke",
            Duration::ZERO,
            vec![problem],
        );
    }

    /// One `sam local invoke` of a prepared case: its outcome, the state
    /// after (the case's `after` in remediate mode, unchanged in observe),
    /// and its metrics and log lines.
    async fn invoke(
        &self,
        one: &Prepared<'_, F>,
        env: &[(String, String)],
        expected: &Value,
        state: State,
    ) -> (Duration, Vec<String>) {
        let started = Instant::now();
        let run = block_in_place(|| self.sam.run(self.function, &one.seeded.event, env));
        let took = started.elapsed();
        let run = match run {
            Ok(run) => run,
            Err(e) => return (took, vec![e.to_string()]),
        };
        let outcome = answer(Ok(run.result.clone()));
        let mut problems = self.judge(one, &outcome, expected, state).await;
        if let Ok(outcome) = &outcome {
            problems.extend(metrics_and_logs(
                F::Guard::NAME,
                run.stderr.clone(),
                std::slice::from_ref(outcome),
            ));
        }
        if !problems.is_empty() {
            problems.push(format!("to rerun by hand: {}", run.command));
        }
        (took, problems)
    }

    /// The case's judgement: the exact outcome, and the resources read back
    /// as `state` says.
    async fn judge(
        &self,
        one: &Prepared<'_, F>,
        outcome: &Result<Value, String>,
        expected: &Value,
        state: State,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        compare(&mut problems, "outcome", outcome, expected);
        if let Some(before) = &one.before {
            let after = F::view(self.world, &one.seeded).await;
            let wanted = match state {
                State::AsTheCaseSays => (one.case.after)(&one.seeded, before),
                State::Unchanged => before.clone(),
            };
            if after.as_ref() != Some(&wanted) {
                problems.push(format!(
                    "state after\n  got      {after:?}\n  expected {:?}",
                    Some(wanted)
                ));
            }
        }
        problems
    }
}
