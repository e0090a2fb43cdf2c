//! A local emulator of the AWS Lambda Runtime API
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>).
//!
//! [`run_function`] starts a real function binary and feeds it events through
//! its real `lambda_runtime` loop, so a test exercises the same start-up,
//! polling, serialisation and error reporting as Lambda does, without Docker
//! or a deployment. It also measures what the benchmark needs: start-up time,
//! per-event latency and peak memory.

use std::convert::Infallible;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use crate::error::HarnessError;

/// How long [`run_function`] lets a function take for all its events.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The deadline each invocation is given, as Lambda's default would.
const INVOCATION_DEADLINE: Duration = Duration::from_secs(30);

/// After a function reports an init error it should exit; this is how long it
/// gets to do so before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

const API_PREFIX: &str = "/2018-06-01/runtime";

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

    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| HarnessError::io("binding the local Runtime API", e))?;
    let api_addr = listener
        .local_addr()
        .map_err(|e| HarnessError::io("reading the Runtime API address", e))?;
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

/// An event waiting for the function's next poll.
struct PendingEvent {
    request_id: String,
    body: Bytes,
}

/// What the HTTP side tells the driver.
enum Report {
    Polled(Instant),
    HandedOut(Instant),
    Answered {
        request_id: String,
        result: InvocationResult,
        function_error_type: Option<String>,
        at: Instant,
    },
    InitError(Value),
}

struct ApiState {
    events: tokio::sync::Mutex<mpsc::Receiver<PendingEvent>>,
    reports: mpsc::UnboundedSender<Report>,
    function_arn: String,
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

/// Kills the process (if still running) and reaps it.
async fn stop(child: &mut Child) {
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// Peak resident set size of `pid` in KiB, from `VmHWM` in `/proc/<pid>/status`.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A UUID-shaped id, unique within the process.
fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (nanos >> 32) as u32,
        (nanos >> 16) as u16,
        (nanos & 0xfff),
        (n >> 48) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// An X-Ray style trace header for an invocation.
fn trace_id(request_id: &str) -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let tail: String = request_id.chars().filter(char::is_ascii_hexdigit).collect();
    let tail = &tail[tail.len().saturating_sub(24)..];
    format!("Root=1-{secs:08x}-{tail:0>24};Sampled=0")
}

/// Accepts connections until the task is aborted; aborting drops the
/// connection set, which aborts every connection task with it.
async fn serve(listener: TcpListener, state: Arc<ApiState>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let state = state.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| handle(state.clone(), request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    state: Arc<ApiState>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_string();
    let route: Vec<&str> = path
        .strip_prefix(API_PREFIX)
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let method = request.method().clone();
    let function_error_type = request
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    Ok(match (method, route.as_slice()) {
        (Method::GET, ["invocation", "next"]) => next_event(&state).await,
        (Method::POST, ["invocation", request_id, "response"]) => {
            let body = read_json(request).await;
            state.report(Report::Answered {
                request_id: request_id.to_string(),
                result: InvocationResult::Response(body),
                function_error_type: None,
                at: Instant::now(),
            });
            accepted()
        }
        (Method::POST, ["invocation", request_id, "error"]) => {
            let body = read_json(request).await;
            let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
            let result = InvocationResult::Error {
                error_type: field("errorType")
                    .or_else(|| function_error_type.clone())
                    .unwrap_or_default(),
                error_message: field("errorMessage").unwrap_or_else(|| body.to_string()),
            };
            state.report(Report::Answered {
                request_id: request_id.to_string(),
                result,
                function_error_type,
                at: Instant::now(),
            });
            accepted()
        }
        (Method::POST, ["init", "error"]) => {
            state.report(Report::InitError(read_json(request).await));
            accepted()
        }
        _ => plain(StatusCode::NOT_FOUND, format!("no route for {path}")),
    })
}

impl ApiState {
    fn report(&self, report: Report) {
        // The driver may already be gone (run finished); nothing to tell then.
        let _ = self.reports.send(report);
    }
}

/// The long poll: waits for the driver's next event. Once all events are
/// handed out it never answers, like a sandbox frozen between invocations.
async fn next_event(state: &ApiState) -> Response<Full<Bytes>> {
    state.report(Report::Polled(Instant::now()));
    let pending = state.events.lock().await.recv().await;
    let Some(event) = pending else {
        return std::future::pending().await;
    };
    state.report(Report::HandedOut(Instant::now()));
    let deadline = SystemTime::now() + INVOCATION_DEADLINE;
    let deadline_ms = deadline
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let mut response = Response::new(Full::new(event.body));
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("content-type", "application/json".to_string());
    set("lambda-runtime-trace-id", trace_id(&event.request_id));
    set("lambda-runtime-aws-request-id", event.request_id);
    set("lambda-runtime-deadline-ms", deadline_ms.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        state.function_arn.clone(),
    );
    response
}

/// The request body as JSON; a body that is not JSON becomes a JSON string so
/// nothing the function sent is lost.
async fn read_json(request: Request<Incoming>) -> Value {
    let bytes = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return Value::String(format!("<unreadable body: {err}>")),
    };
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

fn accepted() -> Response<Full<Bytes>> {
    plain(StatusCode::ACCEPTED, r#"{"status":"OK"}"#.to_string())
}

fn plain(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Reads a child's output stream to the end in its own task, so the pipe
/// never fills and blocks the function; the buffer stays readable even if
/// the task has to be abandoned.
struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
    task: Option<JoinHandle<()>>,
}

impl Capture {
    fn start(stream: Option<impl AsyncRead + Unpin + Send + 'static>) -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let task = stream.map(|mut stream| {
            let buffer = buffer.clone();
            tokio::spawn(async move {
                let mut chunk = [0u8; 8192];
                while let Ok(n @ 1..) = stream.read(&mut chunk).await {
                    buffer
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .extend_from_slice(&chunk[..n]);
                }
            })
        });
        Capture { buffer, task }
    }

    /// Waits briefly for end-of-stream (the process is gone by now, but a
    /// grandchild could hold the pipe open) and returns what was read.
    async fn finish(self) -> String {
        if let Some(mut task) = self.task
            && tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
        let bytes = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Aborts the server task whichever way the run ends.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
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
    fn vm_hwm_is_read_in_kib() {
        let status =
            "Name:\tbootstrap\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(5120));
        assert_eq!(parse_vm_hwm("Name:\tzombie\n"), None);
        assert!(peak_rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
    }

    #[test]
    fn request_ids_are_unique_and_uuid_shaped() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, vec![8, 4, 4, 4, 12]);
        assert!(trace_id(&a).starts_with("Root=1-"));
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
