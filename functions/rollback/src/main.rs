//! The rollback Lambda function: settings and every client once, then one
//! answer per invocation.

use lambda_runtime::{LambdaEvent, service_fn};
use rollback::{Rollback, Settings};
use serde_json::Value;
use warden_shared::config::ProcessEnv;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = match Settings::from_env(&ProcessEnv) {
        Ok(settings) => settings,
        Err(err) => return Err(warden_shared::runtime::refuse_start("rollback", err)),
    };
    let aws = warden_shared::aws::load().await;
    let rollback = &Rollback::new(settings, &aws);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        rollback
            .handle(event.payload, &event.context.request_id)
            .await
            .map_err(lambda_runtime::Diagnostic::from)
    }))
    .await
}
