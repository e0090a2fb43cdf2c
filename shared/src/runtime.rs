//! The Lambda entry point every guard's `main` calls.

use crate::config::{Config, ConfigError, ProcessEnv};
use crate::guard::Guard;
use crate::pipeline::Pipeline;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;

/// Reads the configuration, builds the AWS clients and the guard once
/// ([`Guard::start`]), then serves events until the sandbox is shut down. A
/// configuration error stops the start with a message naming the variable,
/// before any event is taken. A guard's `main` is this one call.
pub async fn serve<G: Guard>() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let pipeline = match start::<G>().await {
        Ok(pipeline) => pipeline,
        Err(err) => return Err(refuse_start(G::NAME, err)),
    };
    let pipeline = &pipeline;
    // Boxed: the pipeline's future nests every SDK call's future, deep
    // enough to exceed the compiler's type-layout limit inline.
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        Box::pin(pipeline.handle(event.payload))
    }))
    .await
}

async fn start<G: Guard>() -> Result<Pipeline<G>, ConfigError> {
    let config = Config::from_env(&ProcessEnv)?;
    let aws = crate::aws::load().await;
    let (guard, adapter) = G::start(&ProcessEnv, &aws)?;
    Ok(Pipeline::build(guard, adapter, config, &aws))
}

/// A start refused over a setting: logged, told to Lambda (so the
/// invocation fails with the message that names the variable), and returned
/// for `main` to exit with.
pub fn refuse_start<E>(function: &str, err: E) -> lambda_runtime::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    tracing::error!(function, error = %err, "invalid configuration; fix the stack parameter and redeploy");
    if let Err(io) = report_init_error("Warden.InvalidConfiguration", &err.to_string()) {
        tracing::error!(error = %io, "could not report the init error to the Lambda Runtime API");
    }
    err.into()
}

/// Tells Lambda why the function could not start (`POST /runtime/init/error`),
/// so the invocation fails with the configuration message instead of a bare
/// exit code. `lambda_runtime` does not expose this call; it is one small
/// HTTP/1.0 request to the local Runtime API, made before exiting. Outside
/// Lambda (no `AWS_LAMBDA_RUNTIME_API`) there is no one to tell.
pub fn report_init_error(error_type: &str, message: &str) -> std::io::Result<()> {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return Ok(());
    };
    let body = json!({"errorType": error_type, "errorMessage": message}).to_string();
    let mut stream = TcpStream::connect(&api)?;
    write!(
        stream,
        "POST /2018-06-01/runtime/init/error HTTP/1.0\r\nHost: {api}\r\n\
         Lambda-Runtime-Function-Error-Type: {error_type}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    // Read the answer so the report is delivered before the process exits.
    stream.read_to_end(&mut Vec::new())?;
    Ok(())
}
