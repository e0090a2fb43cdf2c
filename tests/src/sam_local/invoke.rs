//! `sam local invoke`: one SAM process and one container per event.

use std::fs;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::functions::{SamLocal, env_vars_file};
use super::process::{RunDir, path_arg, sam_error, spawn_sam};
use crate::error::HarnessError;
use crate::runtime_api::{InvocationResult, parse_log_lines};

/// How long one `sam local invoke` may take. The first one on a new base
/// image also builds SAM's derived image (about 10 s); arm64 under emulation
/// is slower again.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(300);

/// What SAM logs when it could not hand an event to the container.
const NO_RESPONSE: &str = "No response from invoke container";

/// How many times [`SamLocal::run`] runs `sam local invoke` when SAM could
/// not hand the event to the container at all (never once it did).
pub const DELIVERY_ATTEMPTS: u32 = 3;

impl SamLocal {
    /// Runs `event` through `function` with `sam local invoke` and returns
    /// the function's response (Warden's outcome JSON). An error the
    /// function reports, or any failure of SAM or Docker, is an error that
    /// carries SAM's output (and so the function's logs).
    pub fn invoke(
        &self,
        function: &str,
        event: &Value,
        env: &[(String, String)],
    ) -> Result<Value, HarnessError> {
        let run = self.run(function, event, env)?;
        match run.result {
            InvocationResult::Response(value) => Ok(value),
            InvocationResult::Error {
                error_type,
                error_message,
            } => Err(sam_error(
                &format!("sam local invoke {function}"),
                format!("the function answered with an error: {error_type}: {error_message}"),
                &run.stderr,
            )),
        }
    }

    /// [`SamLocal::invoke`], keeping everything: the response or the
    /// function's error, SAM's stdout and stderr (where the function's log
    /// lines are), the time it took and the command line.
    pub fn run(
        &self,
        function: &str,
        event: &Value,
        env: &[(String, String)],
    ) -> Result<SamRun, HarnessError> {
        let dir = RunDir::new("invoke")?;
        let run = self.run_in(&dir, function, event, env);
        if run.is_err() {
            dir.keep();
        }
        run
    }

    fn run_in(
        &self,
        dir: &RunDir,
        function: &str,
        event: &Value,
        env: &[(String, String)],
    ) -> Result<SamRun, HarnessError> {
        let step = format!("sam local invoke {function}");
        let template = dir.write_json("template.json", &self.template(&[(function, env)])?)?;
        let env_file = dir.write_json("env.json", &env_vars_file(&[(function, env)]))?;
        let event_file = dir.write_json("event.json", event)?;

        let mut args: Vec<String> = vec!["local".into(), "invoke".into(), function.into()];
        args.extend(["-t".into(), path_arg(&template)]);
        args.extend(["-e".into(), path_arg(&event_file)]);
        args.extend(["--env-vars".into(), path_arg(&env_file)]);
        args.extend(self.container_args());

        let command = format!("sam {}", args.join(" "));
        let started = Instant::now();
        let mut attempts = 0;
        let (stdout, stderr) = loop {
            attempts += 1;
            let stdout_path = dir.path.join(format!("stdout.{attempts}"));
            let stderr_path = dir.path.join(format!("stderr.{attempts}"));
            let exit = run_sam(&args, &stdout_path, &stderr_path, INVOKE_TIMEOUT, &step)?;
            let stdout = fs::read_to_string(&stdout_path).unwrap_or_default();
            let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
            match exit {
                SamExit::Exited(status) if status.success() => break (stdout, stderr),
                SamExit::Exited(status) => {
                    return Err(sam_error(
                        &step,
                        format!("`{command}` failed ({status})"),
                        &format!("{stdout}\n{stderr}"),
                    ));
                }
                SamExit::TimedOut => {
                    return Err(sam_error(
                        &step,
                        format!("no answer within {INVOKE_TIMEOUT:?}; killed `{command}`"),
                        &stderr,
                    ));
                }
                SamExit::NotDelivered if attempts < DELIVERY_ATTEMPTS => continue,
                SamExit::NotDelivered => {
                    return Err(sam_error(
                        &step,
                        format!(
                            "SAM could not hand the event to the container's runtime emulator \
                             in {attempts} attempts (`{command}`)"
                        ),
                        &stderr,
                    ));
                }
            }
        };
        let elapsed = started.elapsed();
        let result = parse_response(&stdout).ok_or_else(|| {
            sam_error(
                &step,
                format!("SAM printed no JSON response on stdout: {stdout:?} (`{command}`)"),
                &stderr,
            )
        })?;
        Ok(SamRun {
            result,
            stdout,
            stderr,
            elapsed,
            attempts,
            command,
        })
    }
}

/// One `sam local invoke`.
#[derive(Debug)]
pub struct SamRun {
    pub result: InvocationResult,
    /// SAM's stdout: the response, nothing else.
    pub stdout: String,
    /// SAM's stderr: its own messages and the function's log lines
    /// (between `START RequestId` and `END RequestId`).
    pub stderr: String,
    /// The whole command, container start and stop included (every attempt).
    pub elapsed: Duration,
    /// How many times SAM was run: more than 1 when SAM could not hand the
    /// event to the container the first time (see [`DELIVERY_ATTEMPTS`]).
    pub attempts: u32,
    /// The command line, to rerun by hand (its temporary files are gone).
    pub command: String,
}

impl SamRun {
    /// The function's JSON log lines.
    pub fn log_lines(&self) -> Vec<Value> {
        parse_log_lines(&self.stderr)
    }

    /// SAM's `REPORT RequestId: ...` line (durations, memory).
    pub fn report_line(&self) -> Option<&str> {
        self.stderr
            .lines()
            .find(|l| l.starts_with("REPORT RequestId"))
    }
}

/// The response SAM printed: the whole of stdout as JSON, else its last line
/// that is JSON. A Lambda error payload (`errorType` and `errorMessage`, no
/// outcome fields) is the function's error.
pub fn parse_response(stdout: &str) -> Option<InvocationResult> {
    let text = stdout.trim();
    let value = serde_json::from_str::<Value>(text).ok().or_else(|| {
        text.lines()
            .rev()
            .find_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
    })?;
    let is_error = value.as_object().is_some_and(|map| {
        map.get("errorType").is_some_and(Value::is_string)
            && map.contains_key("errorMessage")
            && !map.contains_key("status")
    });
    if is_error {
        Some(InvocationResult::Error {
            error_type: value["errorType"].as_str().unwrap_or_default().into(),
            error_message: value["errorMessage"]
                .as_str()
                .map_or_else(|| value["errorMessage"].to_string(), str::to_string),
        })
    } else {
        Some(InvocationResult::Response(value))
    }
}

/// How a `sam local invoke` ended.
enum SamExit {
    Exited(ExitStatus),
    /// Killed at the timeout.
    TimedOut,
    /// SAM gave up handing the event to the container (`No response from
    /// invoke container`) before the runtime emulator saw it (no `START
    /// RequestId`); killed at once rather than after SAM's function timer.
    NotDelivered,
}

/// Runs sam to completion, watching its stderr for an event it could not
/// deliver.
fn run_sam(
    args: &[String],
    stdout: &Path,
    stderr: &Path,
    timeout: Duration,
    step: &str,
) -> Result<SamExit, HarnessError> {
    let mut child = spawn_sam(args, stdout, stderr, step)?;
    let deadline = Instant::now() + timeout;
    let mut seen_len = 0;
    let mut last_look = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let text = fs::read_to_string(stderr).unwrap_or_default();
                return Ok(if status.success() && not_delivered(&text) {
                    SamExit::NotDelivered
                } else {
                    SamExit::Exited(status)
                });
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                remove_container(&fs::read_to_string(stderr).unwrap_or_default());
                return Ok(SamExit::TimedOut);
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(HarnessError::io(format!("waiting for {step}"), e)),
        }
        if last_look.elapsed() >= Duration::from_millis(250) {
            last_look = Instant::now();
            let len = fs::metadata(stderr).map_or(0, |m| m.len());
            if len != seen_len {
                seen_len = len;
                let text = fs::read_to_string(stderr).unwrap_or_default();
                if not_delivered(&text) {
                    let _ = child.kill();
                    let _ = child.wait();
                    remove_container(&text);
                    return Ok(SamExit::NotDelivered);
                }
            }
        }
    }
}

/// Removes the container a killed SAM leaves behind (it logs
/// `SAM_CONTAINER_ID: <id>` when it creates one).
fn remove_container(sam_stderr: &str) {
    let ids = sam_stderr
        .lines()
        .filter_map(|line| line.split("SAM_CONTAINER_ID: ").nth(1))
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit()));
    for id in ids {
        let _ = Command::new("docker")
            .args(["rm", "-f", id])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// SAM's stderr says it could not reach the container's runtime emulator
/// and the emulator never started the invocation.
///
/// This happens under load: Docker's port proxy accepts SAM's connection
/// before the emulator in the container listens, SAM's three quick retries
/// (within a second) fail, and SAM prints this and exits 0 with no response
/// (after waiting out the function's timeout).
pub(super) fn not_delivered(stderr: &str) -> bool {
    stderr.contains(NO_RESPONSE) && !stderr.contains("START RequestId")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_response_is_the_json_sam_printed() {
        let out = "{\"guard\": \"bucket-guard\", \"status\": \"remediated\"}";
        assert_eq!(
            parse_response(out),
            Some(InvocationResult::Response(
                json!({"guard": "bucket-guard", "status": "remediated"})
            ))
        );
    }

    #[test]
    fn stray_lines_before_the_response_are_skipped() {
        let out = "SAM CLI update available\n{\"status\": \"compliant\"}\n";
        assert_eq!(
            parse_response(out),
            Some(InvocationResult::Response(json!({"status": "compliant"})))
        );
    }

    #[test]
    fn an_error_payload_is_the_functions_error() {
        let out = r#"{"errorType": "Runtime.ExitError", "errorMessage": "exit status 1"}"#;
        assert_eq!(
            parse_response(out),
            Some(InvocationResult::Error {
                error_type: "Runtime.ExitError".into(),
                error_message: "exit status 1".into(),
            })
        );
    }

    #[test]
    fn no_json_is_no_response() {
        assert_eq!(parse_response(""), None);
        assert_eq!(
            parse_response("Error: Running AWS SAM projects locally requires a container runtime."),
            None
        );
    }
}
