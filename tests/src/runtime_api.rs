//! A local emulator of the AWS Lambda Runtime API
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>).
//!
//! [`run_function`] starts a real function binary and feeds it events through
//! its real `lambda_runtime` loop, so a test exercises the same start-up,
//! polling, serialisation and error reporting as Lambda does, without Docker
//! or a deployment. It also measures what the benchmark needs: start-up time,
//! per-event latency and peak memory.

mod child;
mod server;

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use serde_json::Value;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::error::HarnessError;
use crate::moto::bind_loopback;
use child::{Capture, peak_rss_kib, stop};
use server::{AbortOnDrop, ApiState, PendingEvent, Report, new_request_id, serve};

/// How long [`run_function`] lets a function take for all its events.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// After a function reports an init error it should exit; this is how long it
/// gets to do so before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Everything observed while a function handled its events.
#[derive(Debug)]
pub struct FunctionRun {
    /// One entry per answered event, in the order the events were given.
    pub invocations: Vec<Invocation>,
    /// The body of a `POST /runtime/init/error`, if the function sent one.
    pub init_error: Option<Value>,
    /// Set when the process exited on its own before all events were
    /// answered; `None` when the harness stopped it after the last event.
    pub exit_status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub timings: Timings,
    /// Peak resident memory (VmHWM) in KiB, read just before the harness
    /// stopped the process; `None` if it had already exited.
    pub peak_rss_kib: Option<u64>,
}

impl FunctionRun {
    /// The JSON log lines the function wrote, stdout first, then stderr.
    pub fn log_lines(&self) -> Vec<Value> {
        let mut lines = parse_log_lines(&self.stdout);
        lines.extend(parse_log_lines(&self.stderr));
        lines
    }
}

/// One answered event.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The `Lambda-Runtime-Aws-Request-Id` the event was handed out with.
    pub request_id: String,
    pub result: InvocationResult,
    /// The `Lambda-Runtime-Function-Error-Type` header of an error post
    /// (`lambda_runtime` always sends `unhandled`); `None` for responses.
    pub function_error_type: Option<String>,
}

impl Invocation {
    /// See [`InvocationResult::response`].
    pub fn response(&self) -> Option<&Value> {
        self.result.response()
    }

    /// See [`InvocationResult::expect_response`].
    #[track_caller]
    pub fn expect_response(&self) -> &Value {
        self.result.expect_response()
    }

    /// See [`InvocationResult::expect_error`].
    #[track_caller]
    pub fn expect_error(&self) -> (&str, &str) {
        self.result.expect_error()
    }
}

/// What the function posted for an event.
#[derive(Debug, Clone, PartialEq)]
pub enum InvocationResult {
    /// The response body; a body that is not JSON is kept as a JSON string.
    Response(Value),
    /// The `errorType` and `errorMessage` of an error post.
    Error {
        error_type: String,
        error_message: String,
    },
}

impl InvocationResult {
    /// The response, or `None` if the function reported an error.
    pub fn response(&self) -> Option<&Value> {
        match self {
            InvocationResult::Response(value) => Some(value),
            InvocationResult::Error { .. } => None,
        }
    }

    /// The response.
    ///
    /// # Panics
    /// If the function reported an error; the message shows the error.
    #[track_caller]
    pub fn expect_response(&self) -> &Value {
        match self {
            InvocationResult::Response(value) => value,
            InvocationResult::Error {
                error_type,
                error_message,
            } => panic!("the function answered with an error: {error_type}: {error_message}"),
        }
    }

    /// The `errorType` and `errorMessage` of an invocation error.
    ///
    /// # Panics
    /// If the function answered with a response; the message shows it.
    #[track_caller]
    pub fn expect_error(&self) -> (&str, &str) {
        match self {
            InvocationResult::Error {
                error_type,
                error_message,
            } => (error_type, error_message),
            InvocationResult::Response(value) => {
                panic!("expected an invocation error, the function answered {value}")
            }
        }
    }
}

/// Durations measured from the harness's side of the Runtime API.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// From spawning the process to its first `GET /invocation/next`: the
    /// function's init time, as a cold start would see it.
    pub first_next: Option<Duration>,
    /// For each answered event: from handing it out to its result being posted.
    pub per_event: Vec<Duration>,
    /// From spawning the process to the first result being posted.
    pub first_event_done: Option<Duration>,
}

/// Runs `binary` as a Lambda function over `events`, with [`DEFAULT_TIMEOUT`].
///
/// The process gets a clean environment: `PATH`, the Lambda variables a
/// runtime expects (function name = the binary's file name, `$LATEST`, 128 MB,
/// `AWS_LAMBDA_LOG_FORMAT=JSON`, ...), then `env` (which may override any of
/// them, e.g. `AWS_LAMBDA_LOG_FORMAT` or `AWS_LAMBDA_FUNCTION_NAME`), then
/// `AWS_LAMBDA_RUNTIME_API` pointing at this emulator. Nothing else of the
/// caller's environment leaks in, so no real AWS credentials can be used.
///
/// Events are handed out one at a time, in order. After the last one is
/// answered the process is killed. If it exits earlier, or reports an init
/// error, the run ends there and [`FunctionRun`] says so.
pub async fn run_function(
    binary: &Path,
    env: &[(String, String)],
    events: &[Value],
) -> Result<FunctionRun, HarnessError> {
    run_function_with_timeout(binary, env, events, DEFAULT_TIMEOUT).await
}

/// [`run_function`] with a bound other than [`DEFAULT_TIMEOUT`] on the whole
/// run; past it the process is killed and [`HarnessError::Timeout`] carries
/// its stderr.
pub async fn run_function_with_timeout(
    binary: &Path,
    env: &[(String, String)],
    events: &[Value],
    timeout: Duration,
) -> Result<FunctionRun, HarnessError> {
    let function_name = env
        .iter()
        .rev()
        .find(|(key, _)| key == "AWS_LAMBDA_FUNCTION_NAME")
        .map(|(_, value)| value.clone())
        .or_else(|| binary.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "function".to_string());

    let (listener, api_addr) = bind_loopback("the local Runtime API").await?;
    let (event_tx, event_rx) = mpsc::channel(1);
    let (report_tx, reports) = mpsc::unbounded_channel();
    let state = Arc::new(ApiState {
        events: tokio::sync::Mutex::new(event_rx),
        reports: report_tx,
        function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
    });
    let _server = AbortOnDrop(tokio::spawn(serve(listener, state)));

    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(std::env::var_os("PATH").map(|path| ("PATH", path)))
        .env("AWS_LAMBDA_FUNCTION_NAME", &function_name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function_name}"),
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("_HANDLER", "bootstrap")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("AWS_LAMBDA_RUNTIME_API", api_addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| HarnessError::io(format!("starting {}", binary.display()), e))?;
    let stdout = Capture::start(child.stdout.take());
    let stderr = Capture::start(child.stderr.take());

    let driven = tokio::time::timeout(
        timeout,
        drive(&mut child, events, event_tx, reports, started),
    )
    .await;
    let Ok(progress) = driven else {
        stop(&mut child).await;
        stdout.finish().await;
        return Err(HarnessError::Timeout {
            binary: binary.to_path_buf(),
            after: timeout,
            stderr: stderr.finish().await,
        });
    };

    let peak_rss_kib = match progress.exit_status {
        None => child.id().and_then(peak_rss_kib),
        Some(_) => None,
    };
    stop(&mut child).await;
    Ok(FunctionRun {
        invocations: progress.invocations,
        init_error: progress.init_error,
        exit_status: progress.exit_status,
        stdout: stdout.finish().await,
        stderr: stderr.finish().await,
        timings: progress.timings,
        peak_rss_kib,
    })
}

/// Returns the JSON objects among the lines of `text` (e.g. a function's
/// output with `AWS_LAMBDA_LOG_FORMAT=JSON`); other lines are skipped.
pub fn parse_log_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line.trim()).ok())
        .filter(Value::is_object)
        .collect()
}

#[derive(Default)]
struct Progress {
    invocations: Vec<Invocation>,
    init_error: Option<Value>,
    exit_status: Option<ExitStatus>,
    timings: Timings,
}

/// Hands out the events one at a time and collects the answers, until all are
/// answered, an init error is reported, or the process exits.
async fn drive(
    child: &mut Child,
    events: &[Value],
    event_tx: mpsc::Sender<PendingEvent>,
    mut reports: mpsc::UnboundedReceiver<Report>,
    started: Instant,
) -> Progress {
    let mut progress = Progress::default();
    'events: for event in events {
        let request_id = new_request_id();
        let pending = PendingEvent {
            request_id: request_id.clone(),
            body: Bytes::from(event.to_string()),
        };
        if event_tx.send(pending).await.is_err() {
            break;
        }
        let mut handed_out = None;
        loop {
            // Reports first: the server queues each report before it answers
            // the request, so a function that posts `init/error` and then
            // exits has its report queued by the time `wait` is ready. An
            // unbiased select could pick the exit and drop that report.
            tokio::select! {
                biased;
                report = reports.recv() => match report {
                    Some(Report::Polled(at)) => {
                        progress.timings.first_next.get_or_insert(at - started);
                    }
                    Some(Report::HandedOut(at)) => handed_out = Some(at),
                    Some(Report::Answered { request_id: id, result, function_error_type, at })
                        if id == request_id =>
                    {
                        let timings = &mut progress.timings;
                        timings.per_event.push(at - handed_out.unwrap_or(at));
                        timings.first_event_done.get_or_insert(at - started);
                        progress.invocations.push(Invocation { request_id: id, result, function_error_type });
                        continue 'events;
                    }
                    // A post for an id that is not the current event: ignored,
                    // as Lambda would reject it.
                    Some(Report::Answered { .. }) => {}
                    Some(Report::InitError(body)) => {
                        progress.init_error = Some(body);
                        if let Ok(Ok(status)) = tokio::time::timeout(EXIT_GRACE, child.wait()).await {
                            progress.exit_status = Some(status);
                        }
                        break 'events;
                    }
                    None => break 'events,
                },
                status = child.wait() => {
                    progress.exit_status = status.ok();
                    break 'events;
                }
            }
        }
    }
    progress
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn log_lines_keep_only_json_objects() {
        let text =
            "plain text\n{\"level\":\"INFO\",\"message\":\"hi\"}\n[1,2]\n  {\"a\":1}  \n{broken\n";
        assert_eq!(
            parse_log_lines(text),
            vec![json!({"level": "INFO", "message": "hi"}), json!({"a": 1})]
        );
    }

    #[test]
    fn expect_response_reports_the_error() {
        let ok = InvocationResult::Response(json!({"a": 1}));
        assert_eq!(ok.expect_response(), &json!({"a": 1}));
        let failed = InvocationResult::Error {
            error_type: "Boom".into(),
            error_message: "it broke".into(),
        };
        assert_eq!(failed.response(), None);
        let panic = std::panic::catch_unwind(|| {
            failed.expect_response();
        })
        .expect_err("an error is not a response");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("Boom: it broke"), "{message}");
    }
}
