//! `sam local start-lambda`: one SAM process with a warm container per
//! function, invoked over the Lambda API as `aws lambda invoke` does.

use std::fs;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::functions::{SamLocal, env_vars_file};
use super::invoke::{DELIVERY_ATTEMPTS, INVOKE_TIMEOUT, not_delivered, parse_response};
use super::process::{RunDir, clean_command, path_arg, run_output, sam_error, spawn_sam, tail};
use crate::error::HarnessError;
use crate::fixtures::unique_id;
use crate::moto::free_port;
use crate::runtime_api::{InvocationResult, parse_log_lines};

/// How long `sam local start-lambda` may take to start its warm containers.
pub const START_TIMEOUT: Duration = Duration::from_secs(300);

impl SamLocal {
    /// Starts `sam local start-lambda` for `functions` (each with its
    /// environment), with warm containers started at once, on a free
    /// loopback port; returns when it accepts invocations.
    pub fn start_lambda(
        &self,
        functions: &[(&str, Vec<(String, String)>)],
    ) -> Result<StartLambda, HarnessError> {
        let step = "sam local start-lambda".to_string();
        let env: Vec<(&str, &[(String, String)])> = functions
            .iter()
            .map(|(f, vars)| (*f, vars.as_slice()))
            .collect();
        let dir = RunDir::new("start-lambda")?;
        let template = dir.write_json("template.json", &self.template(&env)?)?;
        let env_file = dir.write_json("env.json", &env_vars_file(&env))?;
        let port = free_port("127.0.0.1")?;

        let mut args: Vec<String> = vec!["local".into(), "start-lambda".into()];
        args.extend(["-t".into(), path_arg(&template)]);
        args.extend(["--env-vars".into(), path_arg(&env_file)]);
        args.extend(["--host".into(), "127.0.0.1".into()]);
        args.extend(["-p".into(), port.to_string()]);
        args.extend(["--warm-containers".into(), "EAGER".into()]);
        args.extend(self.container_args());

        let log_path = dir.path.join("start-lambda.log");
        let started = Instant::now();
        let child = spawn_sam(&args, &log_path, &log_path, &step)?;
        let mut server = StartLambda {
            child: Some(child),
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            log_path,
            command: format!("sam {}", args.join(" ")),
            started_in: Duration::ZERO,
            dir,
        };
        server.wait_until_ready()?;
        server.started_in = started.elapsed();
        Ok(server)
    }
}

/// A running `sam local start-lambda`; stopped (its warm containers
/// removed) on drop.
#[derive(Debug)]
pub struct StartLambda {
    child: Option<Child>,
    address: SocketAddr,
    log_path: PathBuf,
    command: String,
    started_in: Duration,
    /// The template, the env-vars file, SAM's log and the CLI's files.
    dir: RunDir,
}

impl StartLambda {
    /// The endpoint to give `aws lambda invoke --endpoint-url`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How long it took to accept invocations (its warm containers started).
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    pub fn command(&self) -> &str {
        &self.command
    }

    /// SAM's output so far: its messages and every function's log lines.
    pub fn logs(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The function's JSON log lines so far.
    pub fn log_lines(&self) -> Vec<Value> {
        parse_log_lines(&self.logs())
    }

    /// SAM's output once `ready` holds of it, or as it is after `within`:
    /// SAM relays a container's output asynchronously, so the last lines can
    /// arrive after the answer they belong to.
    pub fn logs_once(&self, ready: impl Fn(&str) -> bool, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let logs = self.logs();
            if ready(&logs) || Instant::now() >= deadline {
                return logs;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Invokes `function` with `event` (`POST
    /// /2015-03-31/functions/<function>/invocations`, what `aws lambda
    /// invoke` sends) and returns its response; a function error is an
    /// error carrying the logs.
    pub fn invoke(&self, function: &str, event: &Value) -> Result<Value, HarnessError> {
        match self.call(function, event)? {
            InvocationResult::Response(value) => Ok(value),
            InvocationResult::Error {
                error_type,
                error_message,
            } => Err(sam_error(
                &format!("start-lambda invoke {function}"),
                format!("the function answered with an error: {error_type}: {error_message}"),
                &self.logs(),
            )),
        }
    }

    /// [`StartLambda::invoke`], returning a function error as a result.
    pub fn call(&self, function: &str, event: &Value) -> Result<InvocationResult, HarnessError> {
        let step = format!("start-lambda invoke {function}");
        let path = format!("/2015-03-31/functions/{function}/invocations");
        let mut attempts = 0;
        let (status, headers, body) = loop {
            attempts += 1;
            let logged_before = self.logs().len();
            let answer = http_post(self.address, &path, &event.to_string(), INVOKE_TIMEOUT)
                .map_err(|detail| sam_error(&step, detail, &self.logs()))?;
            // An empty answer and SAM's `No response from invoke container`
            // with no START since the request: the event never reached the
            // runtime emulator (see `not_delivered`), so sending it again
            // cannot run it twice.
            let logs = self.logs();
            let new_logs = logs.get(logged_before..).unwrap_or_default();
            if answer.2.is_empty() && not_delivered(new_logs) && attempts < DELIVERY_ATTEMPTS {
                continue;
            }
            break answer;
        };
        if status != 200 {
            return Err(sam_error(
                &step,
                format!("HTTP {status}: {}", String::from_utf8_lossy(&body)),
                &self.logs(),
            ));
        }
        let text = String::from_utf8_lossy(&body);
        let function_error = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("x-amz-function-error"));
        let result = parse_response(&text)
            .ok_or_else(|| sam_error(&step, format!("not a JSON response: {text:?}"), ""))?;
        Ok(with_function_error(function_error, result))
    }

    /// [`StartLambda::call`] through the AWS CLI, as README shows it:
    /// `aws lambda invoke --endpoint-url <endpoint> --function-name
    /// <function> --payload fileb://event.json outcome.json`, with test
    /// credentials and no retries (the CLI resends on some errors, and an
    /// event must not run twice).
    pub fn invoke_with_aws_cli(
        &self,
        function: &str,
        event: &Value,
    ) -> Result<InvocationResult, HarnessError> {
        let step = format!("aws lambda invoke {function}");
        let id = unique_id();
        let event_file = self.dir.write_json(&format!("event-{id}.json"), event)?;
        let outcome_file = self.dir.path.join(format!("outcome-{id}.json"));
        let args = [
            "lambda".to_string(),
            "invoke".into(),
            "--endpoint-url".into(),
            self.endpoint(),
            "--function-name".into(),
            function.into(),
            "--payload".into(),
            format!("fileb://{}", path_arg(&event_file)),
            "--cli-read-timeout".into(),
            INVOKE_TIMEOUT.as_secs().to_string(),
            path_arg(&outcome_file),
        ];
        let command_line = format!("aws {}", args.join(" "));
        let mut command = clean_command("aws");
        command
            .args(&args)
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_PAGER", "");
        let out = match run_output(&mut command, &step) {
            Err(HarnessError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                return Err(sam_error(
                    &step,
                    "the AWS CLI (`aws`) is not on PATH: install it (`pip install awscli`, \
                     or AWS CLI v2) to run README's `aws lambda invoke`"
                        .into(),
                    "",
                ));
            }
            other => other?,
        };
        if !out.status.success() {
            return Err(sam_error(
                &step,
                format!("`{command_line}` failed ({})", out.status),
                &format!("{}\n{}", out.text(), tail(&self.logs(), 40)),
            ));
        }
        // The CLI prints the invocation's metadata and writes the payload.
        let reply: Value = serde_json::from_str(out.stdout.trim())
            .map_err(|e| sam_error(&step, format!("the CLI printed no JSON ({e})"), &out.text()))?;
        if reply["StatusCode"] != 200 {
            return Err(sam_error(
                &step,
                format!("`{command_line}` answered {reply}"),
                &self.logs(),
            ));
        }
        let text = fs::read_to_string(&outcome_file)
            .map_err(|e| HarnessError::io(format!("reading {}", outcome_file.display()), e))?;
        let result = parse_response(&text)
            .ok_or_else(|| sam_error(&step, format!("not a JSON response: {text:?}"), ""))?;
        Ok(with_function_error(
            reply.get("FunctionError").is_some(),
            result,
        ))
    }

    fn wait_until_ready(&mut self) -> Result<(), HarnessError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(500)).is_ok() {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = exited {
                return Err(sam_error(
                    "sam local start-lambda",
                    format!(
                        "exited ({status}) before accepting invocations: `{}`",
                        self.command
                    ),
                    &self.logs(),
                ));
            }
            if Instant::now() >= deadline {
                return Err(sam_error(
                    "sam local start-lambda",
                    format!("not listening on {} within {START_TIMEOUT:?}", self.address),
                    &self.logs(),
                ));
            }
            thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for StartLambda {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SIGTERM lets SAM stop and remove its warm containers; SIGKILL after
        // a grace period would leave them behind, so it is the last resort.
        // kill(1) rather than libc: the harness keeps its one `unsafe` block.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A response Lambda flagged as a function error (`X-Amz-Function-Error`,
/// the CLI's `FunctionError`) is the function's error, whatever its shape.
fn with_function_error(function_error: bool, result: InvocationResult) -> InvocationResult {
    match (function_error, result) {
        (true, InvocationResult::Response(value)) => InvocationResult::Error {
            error_type: value["errorType"].as_str().unwrap_or("unknown").into(),
            error_message: value["errorMessage"].as_str().unwrap_or_default().into(),
        },
        (_, result) => result,
    }
}

/// A blocking HTTP/1.1 POST with `Connection: close`: (status, headers, body).
type HttpAnswer = (u16, Vec<(String, String)>, Vec<u8>);

fn http_post(
    address: SocketAddr,
    path: &str,
    body: &str,
    timeout: Duration,
) -> Result<HttpAnswer, String> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .map_err(|e| format!("connecting to {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| format!("sending to {address}: {e}"))?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .map_err(|e| format!("reading the answer: {e}"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {status_line:?}"))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("reading the headers: {e}"))?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let mut body = Vec::new();
    reader
        .read_to_end(&mut body)
        .map_err(|e| format!("reading the body: {e}"))?;
    Ok((status, headers, body))
}
