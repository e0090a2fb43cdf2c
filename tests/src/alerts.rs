//! Capturing what a function publishes: an SNS topic with an SQS queue
//! subscribed (raw delivery), read back after the function has run.

use aws_config::SdkConfig;

/// A new SQS queue named `name`: its URL and its ARN.
pub async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    let queue = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("CreateQueue");
    let queue_url = queue.queue_url().expect("a queue URL").to_string();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("the queue's ARN");
    (queue_url, queue_arn)
}

/// A new SNS topic named `name`: its ARN.
pub async fn topic(config: &SdkConfig, name: &str) -> String {
    aws_sdk_sns::Client::new(config)
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("a topic ARN")
        .to_string()
}

/// A new SQS queue named `name`, subscribed to `topic_arn` with raw delivery
/// (a message's body is what was published) and, if given, `filter_policy`
/// on the message attributes: the queue's URL.
pub async fn subscribed_queue(
    config: &SdkConfig,
    topic_arn: &str,
    name: &str,
    filter_policy: Option<&serde_json::Value>,
) -> String {
    let (queue_url, queue_arn) = queue(&aws_sdk_sqs::Client::new(config), name).await;
    let mut subscribe = aws_sdk_sns::Client::new(config)
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true");
    if let Some(filter) = filter_policy {
        subscribe = subscribe.attributes("FilterPolicy", filter.to_string());
    }
    subscribe.send().await.expect("Subscribe");
    queue_url
}

pub struct Alerts {
    /// Pass this as `WARDEN_TOPIC_ARN`.
    pub topic_arn: String,
    queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl Alerts {
    /// A topic and a queue named `name`, the queue subscribed to the topic.
    pub async fn subscribe(config: &SdkConfig, name: &str) -> Alerts {
        let sqs = aws_sdk_sqs::Client::new(config);
        let topic_arn = topic(config, name).await;
        let queue_url = subscribed_queue(config, &topic_arn, name, None).await;
        Alerts {
            topic_arn,
            queue_url,
            sqs,
        }
    }

    /// The bodies of the alerts delivered so far (at most 10).
    pub async fn received(&self) -> Vec<String> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("ReceiveMessage");
        out.messages()
            .iter()
            .filter_map(|m| m.body().map(str::to_string))
            .collect()
    }

    /// Every alert delivered so far, over four receives (each returns at
    /// most ten, and SQS may spread them).
    pub async fn all(&self) -> Vec<String> {
        let mut received = Vec::new();
        for _ in 0..4 {
            received.extend(self.received().await);
        }
        received
    }

    /// The one alert delivered so far, as JSON; fails unless exactly one
    /// was.
    pub async fn the_one(&self) -> serde_json::Value {
        let messages = self.received().await;
        assert_eq!(messages.len(), 1, "{messages:?}");
        serde_json::from_str(&messages[0]).expect("an alert is JSON")
    }
}
