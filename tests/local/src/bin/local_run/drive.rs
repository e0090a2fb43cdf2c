//! One guard's part of the local run, for any guard's kit fixture: every
//! case seeded once, run through the real binary in `observe` mode (nothing
//! may change) and then in `remediate` mode (each case's expected outcome
//! and state must hold), judged from state read back with the SDK, and
//! printed as a before/after table.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;
use warden_shared::Guard;
use warden_tests::fixtures::{function_env, observed, process_groups};
use warden_tests::kit::{Case, Fixture, Seeded, case_settings, seed_all};
use warden_tests::{InvocationResult, run_function};

/// One case as the run saw it.
struct Seen<F: Fixture> {
    case: Case<F>,
    seeded: Seeded,
    before: Option<F::View>,
    observed: Option<F::View>,
    remediated: Option<F::View>,
    answer: Result<Value, String>,
    problems: Vec<String>,
}

/// Runs every case of `F` through `binary` against the emulator at
/// `endpoint`; prints the table and returns whether everything held.
pub(crate) async fn run<F: Fixture>(binary: &Path, endpoint: &str) -> Result<bool, String> {
    let world = F::world(endpoint).await;
    let mut seen: Vec<Seen<F>> = Vec::new();
    for (case, seeded) in seed_all::<F>(&world, "local").await {
        let before = F::view(&world, &seeded).await;
        seen.push(Seen {
            case,
            seeded,
            before,
            observed: None,
            remediated: None,
            answer: Err("not run".into()),
            problems: vec![],
        });
    }

    for mode in ["observe", "remediate"] {
        let cases: Vec<usize> = (0..seen.len()).collect();
        for group in process_groups(&cases, |&i| !seen[i].case.env.is_empty()) {
            let env = function_env(endpoint, case_settings(&world, mode, &seen[*group[0]].case));
            let events: Vec<Value> = group
                .iter()
                .map(|&&i| seen[i].seeded.event.clone())
                .collect();
            let run = run_function(binary, &env, &events)
                .await
                .map_err(|e| format!("running {}: {e}", binary.display()))?;
            for (position, &&i) in group.iter().enumerate() {
                let answer = match run.invocations.get(position).map(|inv| &inv.result) {
                    Some(InvocationResult::Response(outcome)) => Ok(outcome.clone()),
                    Some(InvocationResult::Error {
                        error_type,
                        error_message,
                    }) => Err(format!("{error_type}: {error_message}")),
                    None => Err(format!("no answer; stderr:\n{}", run.stderr)),
                };
                let one = &mut seen[i];
                let view = F::view(&world, &one.seeded).await;
                let expected = (one.case.expect)(&one.seeded);
                if mode == "observe" {
                    if answer.as_ref().ok() != Some(&observed(expected)) {
                        one.problems
                            .push(format!("observe answered {}", short(&answer)));
                    }
                    if view != one.before {
                        one.problems.push("observe changed the resource".into());
                    }
                    one.observed = view;
                } else {
                    if answer.as_ref().ok() != Some(&expected) {
                        one.problems.push(format!(
                            "remediate answered {}, expected {}",
                            short(&answer),
                            short(&Ok(expected))
                        ));
                    }
                    let wanted = one
                        .before
                        .as_ref()
                        .map(|b| (one.case.after)(&one.seeded, b));
                    if view != wanted {
                        one.problems.push(format!(
                            "after remediate the resource is {view:?}, expected {wanted:?}"
                        ));
                    }
                    one.remediated = view;
                    one.answer = answer;
                }
            }
        }
    }
    print!("{}", table(&seen));
    let held = seen.iter().all(|s| s.problems.is_empty());
    for one in seen.iter().filter(|s| !s.problems.is_empty()) {
        println!("  FAIL {}: {}", one.case.file, one.problems.join("; "));
    }
    println!(
        "{}: {} of {} event files held (observe changed nothing; remediate left each resource as expected)",
        F::Guard::NAME,
        seen.iter().filter(|s| s.problems.is_empty()).count(),
        seen.len()
    );
    Ok(held)
}

/// Status and findings of an answer, in one cell.
fn short(answer: &Result<Value, String>) -> String {
    match answer {
        Err(error) => format!("error: {error}"),
        Ok(outcome) => {
            let rules: Vec<String> = outcome["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| {
                    let rule = f["rule"].as_str().unwrap_or("?");
                    if f["applied"] == true {
                        format!("{rule} (fixed)")
                    } else {
                        rule.to_string()
                    }
                })
                .collect();
            let status = outcome["status"].as_str().unwrap_or("?");
            if rules.is_empty() {
                status.to_string()
            } else {
                format!("{status}: {}", rules.join(", "))
            }
        }
    }
}

/// The before/after table: per event file, each setting before, after
/// `observe` and after `remediate`, and the answer.
fn table<F: Fixture>(seen: &[Seen<F>]) -> String {
    let mut rows: Vec<[String; 5]> = Vec::new();
    for one in seen {
        let describe = |view: &Option<F::View>| view.as_ref().map(F::describe).unwrap_or_default();
        let (before, observed, remediated) = (
            describe(&one.before),
            describe(&one.observed),
            describe(&one.remediated),
        );
        let answer = short(&one.answer);
        if before.is_empty() {
            rows.push([
                one.case.file.into(),
                "-".into(),
                "-".into(),
                "-".into(),
                answer,
            ]);
            continue;
        }
        for (index, (setting, was)) in before.iter().enumerate() {
            let value_of = |rows: &[(String, String)]| {
                rows.iter()
                    .find(|(s, _)| s == setting)
                    .map_or("(gone)".to_string(), |(_, v)| v.clone())
            };
            let after = value_of(&remediated);
            let mark = if *was == after { "" } else { " *" };
            rows.push([
                if index == 0 {
                    one.case.file.into()
                } else {
                    String::new()
                },
                setting.clone(),
                was.clone(),
                format!(
                    "{}{}",
                    value_of(&observed),
                    if value_of(&observed) == *was {
                        ""
                    } else {
                        " !"
                    }
                ),
                format!(
                    "{after}{mark}{}",
                    if index == 0 {
                        format!("   [{answer}]")
                    } else {
                        String::new()
                    }
                ),
            ]);
        }
    }
    let headers = [
        "event file",
        "setting",
        "before",
        "after observe",
        "after remediate",
    ];
    let widths: Vec<usize> = (0..4)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([headers[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |out: &mut String, cells: [&str; 5]| {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    };
    line(&mut out, headers);
    for row in &rows {
        line(&mut out, [&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    let _ = writeln!(
        out,
        "  (* changed by remediate; ! changed by observe, which must change nothing)"
    );
    out
}
