//! What a sweep is made of and how it is asked for: the resource types, the
//! shard (one region × one resource type, with the cursor where it stands),
//! and the payloads the function accepts.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use strum::VariantArray;

/// What a shard lists, and which guard checks it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ResourceType {
    /// Every S3 bucket whose region is the shard's (bucket-guard).
    S3Bucket,
    /// Every IAM user, in the partition's home region only (mfa-guard).
    IamUser,
    /// Every trail whose home region is the shard's; shadow copies of
    /// multi-region trails are left to their home region (trail-guard).
    CloudtrailTrail,
    /// Every resource the Tagging API's `GetResources` lists in the region
    /// (tag-guard).
    TaggedResource,
}

impl ResourceType {
    /// The guard that checks this type.
    pub fn guard(self) -> &'static str {
        match self {
            ResourceType::S3Bucket => "bucket-guard",
            ResourceType::IamUser => "mfa-guard",
            ResourceType::CloudtrailTrail => "trail-guard",
            ResourceType::TaggedResource => "tag-guard",
        }
    }

    pub fn names() -> String {
        ResourceType::VARIANTS
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// IAM's home region in `region`'s partition: where IAM is called and its
/// events arrive.
pub fn home_region(region: &str) -> &'static str {
    match warden_shared::arn::partition(region) {
        "aws-cn" => "cn-north-1",
        "aws-us-gov" => "us-gov-west-1",
        "aws-iso" => "us-iso-east-1",
        "aws-iso-b" => "us-isob-east-1",
        _ => "us-east-1",
    }
}

/// The largest message SQS takes (and the sweep queues are set to): a
/// shard with its cursor must fit in one.
pub const MAX_MESSAGE_BYTES: usize = 1_048_576;

/// Where a shard stands: the resources of the page it was on that were not
/// started yet, and the token of the page after it. Listing tokens are
/// single-use and expire (the Tagging API's do), so the cursor never needs
/// a token that was already used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Ids (a bucket name, an ARN) still to check from the current page.
    #[serde(default)]
    pub pending: Vec<String>,
    /// The next page's token; `None` when the current page was the last.
    #[serde(default)]
    pub next_page: Option<String>,
}

/// One unit of a sweep: a queue message, a continuation, or one part of an
/// inline sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub sweep_id: String,
    pub region: String,
    pub resource_type: ResourceType,
    /// `None` for a shard not started yet.
    #[serde(default)]
    pub cursor: Option<Cursor>,
}

impl Shard {
    pub fn new(sweep_id: &str, region: &str, resource_type: ResourceType) -> Self {
        Self {
            sweep_id: sweep_id.to_string(),
            region: region.to_string(),
            resource_type,
            cursor: None,
        }
    }

    /// `us-east-1/s3-bucket`, for logs and errors.
    pub fn label(&self) -> String {
        format!("{}/{}", self.region, self.resource_type)
    }

    /// This shard, to go on from `cursor`.
    pub fn resumed_at(&self, cursor: Cursor) -> Self {
        Self {
            cursor: Some(cursor),
            ..self.clone()
        }
    }
}

/// What an inline sweep that ran out of time leaves: every shard not
/// finished, with its cursor. Sent back as `{"sweep": {"inline": true,
/// "continuation": ...}}` it picks up where it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    pub sweep_id: String,
    pub shards: Vec<Shard>,
}

/// The body of `{"sweep": {...}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepRequest {
    /// Run the sweep in this invocation and return its summary (small
    /// accounts, the local run, tests); otherwise plan it onto the queue.
    #[serde(default)]
    pub inline: bool,
    /// Every type when empty or absent.
    #[serde(default)]
    pub resource_types: Vec<ResourceType>,
    /// `WARDEN_SWEEP_REGIONS` (or the function's region) when empty or absent.
    #[serde(default)]
    pub regions: Vec<String>,
    /// A name for the sweep; the invocation's request id otherwise.
    #[serde(default)]
    pub sweep_id: Option<String>,
    /// Where an earlier inline sweep stopped.
    #[serde(default)]
    pub continuation: Option<Continuation>,
}

/// What one invocation is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `{"sweep": {...}}`: the schedule's (plan) or a direct one (inline).
    Sweep(SweepRequest),
    /// An SQS batch from the sweep queue: one shard per message.
    Shards(Vec<(String, Result<Shard, String>)>),
}

impl Request {
    /// Reads a payload; the error says what was expected.
    pub fn parse(payload: &Value) -> Result<Self, String> {
        if let Some(sweep) = payload.get("sweep") {
            let request: SweepRequest = serde_json::from_value(sweep.clone()).map_err(|e| {
                format!(
                    "`sweep` is not a sweep request ({e}): use {{\"sweep\": {{\"inline\": true|false, \"resource_types\": [{}], \"regions\": [...]}}}}",
                    ResourceType::names()
                )
            })?;
            for region in &request.regions {
                if !crate::settings::is_region(region) {
                    return Err(format!(
                        "`sweep.regions` names {region:?}, which is not a region name"
                    ));
                }
            }
            return Ok(Request::Sweep(request));
        }
        if let Some(records) = payload.get("Records").and_then(Value::as_array) {
            let shards = records
                .iter()
                .map(|record| {
                    let id = record
                        .get("messageId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let shard = record
                        .get("body")
                        .and_then(Value::as_str)
                        .ok_or_else(|| "the message has no body".to_string())
                        .and_then(|body| {
                            serde_json::from_str::<Shard>(body)
                                .map_err(|e| format!("the message is not a sweep shard: {e}"))
                        });
                    (id, shard)
                })
                .collect();
            return Ok(Request::Shards(shards));
        }
        Err(
            "not a sweep request: expected {\"sweep\": {...}} (from the schedule or a direct invocation) or an SQS batch of shards from the sweep queue"
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resource_types_by_name() {
        assert_eq!(
            ResourceType::names(),
            "s3-bucket, iam-user, cloudtrail-trail, tagged-resource"
        );
        let parsed: Vec<ResourceType> =
            serde_json::from_value(json!(["s3-bucket", "tagged-resource"])).unwrap();
        assert_eq!(
            parsed,
            [ResourceType::S3Bucket, ResourceType::TaggedResource]
        );
    }

    #[test]
    fn the_largest_cursor_a_listing_can_leave_fits_in_one_message() {
        let token = "t".repeat(2048);
        let shard = |resource_type, pending: Vec<String>| {
            let shard = Shard {
                cursor: Some(Cursor {
                    pending,
                    next_page: Some(token.clone()),
                }),
                ..Shard::new(&"s".repeat(128), "ap-southeast-5", resource_type)
            };
            serde_json::to_string(&shard).unwrap().len()
        };
        // A ListBuckets page holds at most 10,000 buckets, names of at most
        // 63 characters; a ListUsers page 1,000 users, whose ARNs hold a path
        // of up to 512 characters and a name of up to 64.
        let buckets = shard(ResourceType::S3Bucket, vec!["b".repeat(63); 10_000]);
        let user = format!(
            "arn:aws-us-gov:iam::123456789012:user/{}/{}",
            "p".repeat(510),
            "u".repeat(64)
        );
        let users = shard(ResourceType::IamUser, vec![user; 1_000]);
        let arn = format!("arn:aws:sqs:us-east-1:123456789012:{}", "q".repeat(2000));
        let tagged = shard(ResourceType::TaggedResource, vec![arn; 100]);
        for (what, bytes) in [("buckets", buckets), ("users", users), ("tagged", tagged)] {
            assert!(bytes < MAX_MESSAGE_BYTES, "{what}: {bytes} bytes");
        }
    }

    #[test]
    fn home_regions() {
        assert_eq!(home_region("eu-west-1"), "us-east-1");
        assert_eq!(home_region("us-gov-east-1"), "us-gov-west-1");
        assert_eq!(home_region("cn-northwest-1"), "cn-north-1");
    }

    #[test]
    fn payloads() {
        let inline = json!({"sweep": {"inline": true, "resource_types": ["iam-user"], "regions": ["us-east-1"]}});
        assert_eq!(
            Request::parse(&inline).unwrap(),
            Request::Sweep(SweepRequest {
                inline: true,
                resource_types: vec![ResourceType::IamUser],
                regions: vec!["us-east-1".into()],
                ..SweepRequest::default()
            })
        );
        assert_eq!(
            Request::parse(&json!({"sweep": {}})).unwrap(),
            Request::Sweep(SweepRequest::default())
        );

        let shard = Shard::new("s-1", "us-east-1", ResourceType::S3Bucket);
        let batch = json!({"Records": [
            {"messageId": "m-1", "eventSource": "aws:sqs", "body": serde_json::to_string(&shard).unwrap()},
            {"messageId": "m-2", "eventSource": "aws:sqs", "body": "{}"}
        ]});
        let Request::Shards(shards) = Request::parse(&batch).unwrap() else {
            panic!("a batch");
        };
        assert_eq!(shards[0], ("m-1".to_string(), Ok(shard)));
        assert!(
            shards[1]
                .1
                .as_ref()
                .unwrap_err()
                .starts_with("the message is not a sweep shard")
        );

        let err = Request::parse(&json!({"sweep": {"resource_types": ["bucket"]}})).unwrap_err();
        assert!(
            err.contains("s3-bucket, iam-user, cloudtrail-trail, tagged-resource"),
            "{err}"
        );
        let err = Request::parse(&json!({"sweep": {"inlin": true}})).unwrap_err();
        assert!(err.contains("unknown field `inlin`"), "{err}");
        let err = Request::parse(&json!({"sweep": {"regions": ["Mars"]}})).unwrap_err();
        assert!(err.contains("\"Mars\""), "{err}");
        assert!(
            Request::parse(&json!({"detail": {}}))
                .unwrap_err()
                .starts_with("not a sweep request")
        );
    }

    /// `events/sweeper/`: each sample is the request README says it is.
    #[test]
    fn the_sample_events_are_the_requests_they_name() {
        let events = warden_tests::fixtures::GuardEvents {
            guard: "sweeper",
            sample: "",
        };
        let sample = |file: &str| events.as_shipped(file);
        assert_eq!(
            Request::parse(&sample("scheduled.json")).unwrap(),
            Request::Sweep(SweepRequest::default())
        );
        assert_eq!(
            Request::parse(&sample("inline.json")).unwrap(),
            Request::Sweep(SweepRequest {
                inline: true,
                regions: vec!["us-east-1".into()],
                sweep_id: Some("sweep-demo".into()),
                ..SweepRequest::default()
            })
        );
        assert_eq!(
            Request::parse(&sample("inline-buckets.json")).unwrap(),
            Request::Sweep(SweepRequest {
                inline: true,
                resource_types: vec![ResourceType::S3Bucket],
                regions: vec!["us-east-1".into()],
                sweep_id: Some("sweep-demo-buckets".into()),
                ..SweepRequest::default()
            })
        );
        assert_eq!(
            Request::parse(&sample("shard-iam-users.json")).unwrap(),
            Request::Shards(vec![(
                "5b7f1c2e-7a3d-4e0b-9c6f-1d2e3f4a5b6c".into(),
                Ok(Shard::new(
                    "sweep-demo-queued",
                    "us-east-1",
                    ResourceType::IamUser
                ))
            )])
        );
    }

    #[test]
    fn a_shard_message_round_trips() {
        let mut shard = Shard::new("s-1", "eu-west-1", ResourceType::TaggedResource);
        shard.cursor = Some(Cursor {
            pending: vec!["arn:aws:sqs:eu-west-1:123456789012:q".into()],
            next_page: Some("token".into()),
        });
        let text = serde_json::to_string(&shard).unwrap();
        assert_eq!(
            text,
            r#"{"sweep_id":"s-1","region":"eu-west-1","resource_type":"tagged-resource","cursor":{"pending":["arn:aws:sqs:eu-west-1:123456789012:q"],"next_page":"token"}}"#
        );
        assert_eq!(serde_json::from_str::<Shard>(&text).unwrap(), shard);
    }
}
