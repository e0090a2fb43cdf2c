//! The Lambda entry point every guard's `main` calls.

use crate::config::{Config, ConfigError, ProcessEnv};
use crate::pipeline::{Guard, Pipeline};
use crate::record::Notifier;
use aws_config::SdkConfig;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

/// Reads the configuration, builds the AWS clients and the guard once, then
/// serves events until the sandbox is shut down. A configuration error stops
/// the start with a message naming the variable, before any event is taken.
pub async fn serve<G, B>(build: B) -> Result<(), lambda_runtime::Error>
where
    G: Guard,
    B: FnOnce(&SdkConfig) -> Result<G, ConfigError>,
{
    lambda_runtime::tracing::init_default_subscriber();
    let pipeline = match start(build).await {
        Ok(pipeline) => pipeline,
        Err(err) => {
            tracing::error!(guard = G::NAME, error = %err, "invalid configuration; fix the stack parameter and redeploy");
            return Err(err.into());
        }
    };
    let pipeline = &pipeline;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        pipeline.handle(event.payload).await
    }))
    .await
}

async fn start<G, B>(build: B) -> Result<Pipeline<G>, ConfigError>
where
    G: Guard,
    B: FnOnce(&SdkConfig) -> Result<G, ConfigError>,
{
    let config = Config::from_env(&ProcessEnv)?;
    let aws = crate::aws::load().await;
    let guard = build(&aws)?;
    let notifier = config
        .topic_arn
        .clone()
        .map(|topic| Notifier::new(crate::aws::sns(&aws), topic));
    Ok(Pipeline::new(guard, config, notifier))
}
