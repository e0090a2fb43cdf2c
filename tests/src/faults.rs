//! Faults on purpose: a small HTTP proxy in front of moto that makes any one
//! AWS call throttle, answer 500, hang, be denied, hit a quota, fail as AWS
//! would refuse it by rule, or see the resource changed just before it runs.
//!
//! Point a function (or an in-process pipeline's SDK configuration) at
//! [`FaultProxy::endpoint`] instead of moto's; every request is forwarded
//! unchanged unless a [`Fault`] matches its operation name, which is read the
//! way each AWS protocol carries it: the `X-Amz-Target` header (JSON
//! protocols), the `Action` form field (query protocols), or the method, path
//! and query of an S3 request (`PUT /bucket?policy` is `PutBucketPolicy`).

mod protocol;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::error::HarnessError;
use crate::moto::bind_loopback;
pub use protocol::operation_of;
use protocol::{Protocol, signing_region};

/// A change made to the emulator just before a call is forwarded.
pub type Interference = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// What a matching call meets instead of (or before) the emulator.
#[derive(Clone)]
pub enum Effect {
    /// Throttled (`ThrottlingException`; `SlowDown` for S3), as after the
    /// SDK's retries.
    Throttle,
    /// HTTP 500 `InternalError`.
    ServerError,
    /// No answer for this long, then the connection is closed without one:
    /// what a timeout or a lost connection looks like to the client.
    Hang(Duration),
    /// HTTP 403 `AccessDenied`: the role lacks the permission.
    Denied,
    /// A quota (`LimitExceeded`, as IAM answers when a user has too many
    /// policies attached).
    Quota,
    /// Any other answer: status, error code and message (S3's refusal of a
    /// public policy under Block Public Access is a 403 `AccessDenied` whose
    /// message says so).
    Answer {
        status: u16,
        code: String,
        message: String,
    },
    /// Runs the change, then forwards the call: the resource changed
    /// between Warden's read and its write.
    Before(Interference),
    /// Answers with this body (200), as a service that returns what the
    /// emulator does not model (a field moto drops).
    Respond { content_type: String, body: String },
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Effect::Throttle => f.write_str("Throttle"),
            Effect::ServerError => f.write_str("ServerError"),
            Effect::Hang(d) => write!(f, "Hang({d:?})"),
            Effect::Denied => f.write_str("Denied"),
            Effect::Quota => f.write_str("Quota"),
            Effect::Answer { status, code, .. } => write!(f, "Answer({status} {code})"),
            Effect::Before(_) => f.write_str("Before(..)"),
            Effect::Respond { .. } => f.write_str("Respond(..)"),
        }
    }
}

/// A fault: `effect` for `times` calls of `operation`, after letting the
/// first `skip` through.
#[derive(Debug, Clone)]
pub struct Fault {
    pub operation: String,
    pub effect: Effect,
    pub skip: u32,
    pub times: u32,
}

/// One call the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub operation: String,
    /// The region the call was signed for (its SigV4 credential scope).
    pub region: String,
    pub body: String,
}

#[derive(Default)]
struct State {
    faults: Vec<Fault>,
    /// Every call forwarded or faulted, in order.
    seen: Vec<Seen>,
}

/// The proxy; stopped when dropped.
pub struct FaultProxy {
    endpoint: String,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy on loopback forwarding to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Result<Self, HarnessError> {
        let authority = upstream
            .trim_end_matches('/')
            .strip_prefix("http://")
            .ok_or_else(|| HarnessError::Moto {
                endpoint: upstream.to_string(),
                detail: "the fault proxy forwards to http:// endpoints only".into(),
            })?
            .to_string();
        let (listener, address) = bind_loopback("the fault proxy").await?;
        let state = Arc::new(Mutex::new(State::default()));
        let task = tokio::spawn(serve(listener, authority, state.clone()));
        Ok(Self {
            endpoint: format!("http://{address}"),
            state,
            task,
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `effect` for the next call of `operation` (e.g. `PutBucketPolicy`).
    pub fn inject(&self, operation: &str, effect: Effect) {
        self.inject_times(operation, effect, 1);
    }

    /// `effect` for the next `times` calls of `operation`.
    pub fn inject_times(&self, operation: &str, effect: Effect, times: u32) {
        self.inject_after(operation, 0, effect, times);
    }

    /// `effect` for `times` calls of `operation` once `skip` more have gone
    /// through unchanged (the second read of a setting, not the first).
    pub fn inject_after(&self, operation: &str, skip: u32, effect: Effect, times: u32) {
        self.lock().faults.push(Fault {
            operation: operation.to_string(),
            effect,
            skip,
            times,
        });
    }

    /// Every operation the proxy has seen, in order.
    pub fn seen(&self) -> Vec<String> {
        self.lock()
            .seen
            .iter()
            .map(|s| s.operation.clone())
            .collect()
    }

    /// Every call the proxy has seen, with its signing region and body.
    pub fn calls(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// Forgets what was seen and every fault not yet used.
    pub fn clear(&self) {
        let mut state = self.lock();
        state.seen.clear();
        state.faults.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn serve(listener: TcpListener, upstream: String, state: Arc<Mutex<State>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (upstream, state) = (upstream.clone(), state.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                handle(upstream.clone(), state.clone(), request)
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A call the proxy drops without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the fault proxy dropped the call")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    upstream: String,
    state: Arc<Mutex<State>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let operation = operation_of(&parts, &body);
    let effect = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.seen.push(Seen {
            operation: operation.clone(),
            region: signing_region(&parts),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let matched = state
            .faults
            .iter_mut()
            .find(|fault| fault.operation == operation && fault.times > 0);
        matched.and_then(|fault| {
            if fault.skip > 0 {
                fault.skip -= 1;
                return None;
            }
            fault.times -= 1;
            Some(fault.effect.clone())
        })
    };
    let protocol = Protocol::of(&parts);
    match effect {
        None => {}
        Some(Effect::Before(change)) => change().await,
        Some(Effect::Respond { content_type, body }) => {
            let mut response = Response::new(Full::new(Bytes::from(body)));
            if let Ok(value) = hyper::header::HeaderValue::from_str(&content_type) {
                response.headers_mut().insert("content-type", value);
            }
            return Ok(response);
        }
        Some(Effect::Hang(duration)) => {
            tokio::time::sleep(duration).await;
            return Err(Dropped);
        }
        Some(Effect::Throttle) if protocol == Protocol::S3 => {
            return Ok(protocol.error(503, "SlowDown", "Please reduce your request rate."));
        }
        Some(Effect::Throttle) => {
            return Ok(protocol.error(400, "ThrottlingException", "Rate exceeded"));
        }
        Some(Effect::ServerError) => {
            let message = "We encountered an internal error. Please try again.";
            return Ok(protocol.error(500, "InternalError", message));
        }
        Some(Effect::Denied) => {
            let message = format!("User is not authorized to perform: {operation}");
            return Ok(protocol.error(403, "AccessDenied", &message));
        }
        Some(Effect::Quota) => {
            let message = "Cannot exceed quota for PoliciesPerUser: 10";
            return Ok(protocol.error(409, "LimitExceeded", message));
        }
        Some(Effect::Answer {
            status,
            code,
            message,
        }) => return Ok(protocol.error(status, &code, &message)),
    }
    Ok(forward(&upstream, parts, body)
        .await
        .unwrap_or_else(|why| protocol.error(502, "ProxyError", &why)))
}

/// Sends the request on to the emulator, unchanged.
async fn forward(
    upstream: &str,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, String> {
    let stream = TcpStream::connect(upstream)
        .await
        .map_err(|e| format!("connecting to {upstream}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake with {upstream}: {e}"))?;
    tokio::spawn(connection);
    let request = Request::from_parts(parts, Full::new(body));
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("forwarding to {upstream}: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("reading {upstream}'s answer: {e}"))?
        .to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}
