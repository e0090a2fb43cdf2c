//! The Lambda entry point: built once per cold start, a refused start named
//! through the Runtime API's init-error call, like every guard's.

use crate::sweep::{Invocation, Sweeper};
use aws_config::{BehaviorVersion, SdkConfig};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use warden_shared::config::ProcessEnv;

/// The SDK configuration a sweep uses: the standard sources
/// (`AWS_ENDPOINT_URL`, FIPS, credentials) with the adaptive retry mode,
/// whose client-side rate limiter slows a sweep down when AWS throttles it
/// instead of spending its retries.
pub async fn aws() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::adaptive())
        .load()
        .await
}

pub async fn serve() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = aws().await;
    let sweeper = match Sweeper::from_env(&ProcessEnv, &aws) {
        Ok(sweeper) => sweeper,
        Err(err) => return Err(warden_shared::runtime::refuse_start("sweeper", err)),
    };
    let sweeper = &sweeper;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let invocation = Invocation::new(
            &event.context.request_id,
            &event.context.invoked_function_arn,
            event.context.deadline,
            sweeper.settings().reserve,
        );
        Box::pin(sweeper.handle(event.payload, invocation))
    }))
    .await
}
