//! A minimal Lambda function used to prove the harness's local Runtime API.
//!
//! It runs the real `lambda_runtime` loop, so the harness is exercised exactly
//! as Warden's own functions will be. Behaviour is steered by the event:
//!
//! - any event is echoed back unchanged;
//! - `"fail": true` makes the handler return an `EchoFailure` error;
//! - `"sleep_ms": N` delays the answer (to exercise the harness's timeout).
//!
//! With `WARDEN_ECHO_INIT_ERROR` set it reports an init error the way the
//! Lambda Runtime API documents (`POST /runtime/init/error`) and exits, which is
//! what a function should do when its configuration is unusable.

use std::time::Duration;

use lambda_runtime::{Diagnostic, Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

/// The handler's error: a named type so the reported `errorType` is readable.
#[derive(Debug)]
struct EchoFailure(String);

impl From<EchoFailure> for Diagnostic {
    fn from(failure: EchoFailure) -> Self {
        Diagnostic {
            error_type: "EchoFailure".into(),
            error_message: failure.0,
        }
    }
}

async fn echo(event: LambdaEvent<Value>) -> Result<Value, EchoFailure> {
    let request_id = event.context.request_id;
    // One JSON log line on stdout (like a JSON tracing subscriber) and one
    // plain line on stderr, so tests can check both streams are captured.
    println!(
        "{}",
        json!({"level": "INFO", "message": "echo", "requestId": request_id})
    );
    eprintln!("echo-function: handling {request_id}");

    if let Some(ms) = event.payload.get("sleep_ms").and_then(Value::as_u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if event.payload.get("fail") == Some(&Value::Bool(true)) {
        return Err(EchoFailure(format!(
            "failure requested by event {request_id}"
        )));
    }
    Ok(event.payload)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    eprintln!("echo-function: starting");
    if std::env::var_os("WARDEN_ECHO_INIT_ERROR").is_some() {
        warden_shared::runtime::report_init_error(
            "Runtime.ConfigError",
            "WARDEN_ECHO_INIT_ERROR is set",
        )?;
        return Err("init error reported".into());
    }
    lambda_runtime::run(service_fn(echo)).await
}
