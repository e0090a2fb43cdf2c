//! The HTTP side of the Runtime API: the routes a `lambda_runtime` loop
//! calls, each turned into a [`Report`] for the driver in the parent module.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};

use super::InvocationResult;

/// The deadline each invocation is given, as Lambda's default would.
const INVOCATION_DEADLINE: Duration = Duration::from_secs(30);

const API_PREFIX: &str = "/2018-06-01/runtime";

/// An event waiting for the function's next poll.
pub(super) struct PendingEvent {
    pub(super) request_id: String,
    pub(super) body: Bytes,
}

/// What the HTTP side tells the driver.
pub(super) enum Report {
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

pub(super) struct ApiState {
    pub(super) events: tokio::sync::Mutex<mpsc::Receiver<PendingEvent>>,
    pub(super) reports: mpsc::UnboundedSender<Report>,
    pub(super) function_arn: String,
}

/// A UUID-shaped id, unique within the process.
pub(super) fn new_request_id() -> String {
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
pub(super) async fn serve(listener: TcpListener, state: Arc<ApiState>) {
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

/// Aborts the server task whichever way the run ends.
pub(super) struct AbortOnDrop(pub(super) JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_and_uuid_shaped() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, vec![8, 4, 4, 4, 12]);
        assert!(trace_id(&a).starts_with("Root=1-"));
    }
}
