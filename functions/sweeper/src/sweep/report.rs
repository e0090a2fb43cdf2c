//! A sweep's summary, reported once: logged, printed as metrics, and
//! published to the topic.

use super::{Sweeper, epoch_ms};
use crate::summary::{Summary, SweepError};
use aws_sdk_sns::types::MessageAttributeValue;
use warden_shared::{AwsCall, GuardError};

const PUBLISH: AwsCall = AwsCall::new("Publish", "sns:Publish");

impl Sweeper {
    /// Logs the summary, prints its metrics and publishes it once.
    pub(super) async fn report(&self, summary: &mut Summary) {
        for line in summary.metric_lines(epoch_ms()) {
            println!("{line}");
        }
        if let Some(topic) = &self.config.topic_arn
            && let Err(err) = self.publish(topic, summary).await
        {
            tracing::error!(sweep_id = summary.sweep_id, error = %err, "could not publish the sweep summary");
            summary
                .errors
                .push(SweepError::of_summary(Some(topic.clone()), err.to_string()));
        }
        self.log(summary);
    }

    pub(super) fn log(&self, summary: &Summary) {
        tracing::info!(
            sweep_id = summary.sweep_id,
            status = %summary.status,
            summary = %serde_json::to_string(summary).unwrap_or_default(),
            "sweep summary"
        );
    }

    async fn publish(&self, topic: &str, summary: &Summary) -> Result<(), GuardError> {
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| GuardError::unusable(PUBLISH, topic, e.to_string()))
        };
        self.sns
            .publish()
            .topic_arn(topic)
            .subject(summary.subject())
            .message(serde_json::to_string_pretty(summary).unwrap_or_default())
            .message_attributes("kind", attribute("sweep-summary")?)
            .message_attributes("sweep_id", attribute(&summary.sweep_id)?)
            .message_attributes("status", attribute(&summary.status.to_string())?)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUBLISH, topic, e))?;
        Ok(())
    }
}
