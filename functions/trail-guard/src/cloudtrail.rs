//! The adapter around CloudTrail: one concurrent round of reads, one of
//! writes, always in the trail's home region (CloudTrail refuses changes to
//! a trail from any other region). A missing trail becomes `None`, or
//! [`TrailState::Deleted`] when the event was its deletion; anything else an
//! error naming the call and the permission it needs.

use crate::selectors::{AdvancedSelector, BasicSelector, FieldSelector, Selectors};
use crate::{Trail, TrailPlan, TrailSettings, TrailState, Trigger};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::config::Region;
use aws_sdk_cloudtrail::error::{ProvideErrorMetadata, SdkError};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use warden_shared::pipeline::Snapshot;
use warden_shared::{AwsCall, GuardError};

const GET_TRAIL: AwsCall = AwsCall::new("GetTrail", "cloudtrail:GetTrail");
const GET_TRAIL_STATUS: AwsCall = AwsCall::new("GetTrailStatus", "cloudtrail:GetTrailStatus");
const GET_EVENT_SELECTORS: AwsCall =
    AwsCall::new("GetEventSelectors", "cloudtrail:GetEventSelectors");
const LIST_TAGS: AwsCall = AwsCall::new("ListTags", "cloudtrail:ListTags");
const START_LOGGING: AwsCall = AwsCall::new("StartLogging", "cloudtrail:StartLogging");
const UPDATE_TRAIL: AwsCall = AwsCall::new("UpdateTrail", "cloudtrail:UpdateTrail");

/// The error codes that mean "there is no such trail".
const NOT_FOUND: [&str; 2] = ["TrailNotFoundException", "ResourceNotFoundException"];

/// Sorts a CloudTrail answer: `None` for a trail that does not exist, an
/// error naming the call for anything else that went wrong.
fn found<T, E, R>(
    call: AwsCall,
    arn: &str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, GuardError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(output) => Ok(Some(output)),
        Err(err) if err.code().is_some_and(|code| NOT_FOUND.contains(&code)) => Ok(None),
        Err(err) => Err(GuardError::from_sdk(call, arn, err)),
    }
}

/// CloudTrail clients, one per home region, built on first use from the
/// function's SDK configuration (credentials, retries, `AWS_ENDPOINT_URL`,
/// FIPS) and kept for the life of the sandbox.
pub struct Trails {
    config: SdkConfig,
    clients: Mutex<HashMap<String, Client>>,
}

impl Trails {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            config: config.clone(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The client for `region`.
    pub fn client(&self, region: &str) -> Client {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let config = aws_sdk_cloudtrail::config::Builder::from(&self.config)
                    .region(Region::new(region.to_string()))
                    .build();
                Client::from_conf(config)
            })
            .clone()
    }

    /// Reads the trail, its status, its event selectors and its tags
    /// concurrently.
    pub async fn read(&self, trail: &Trail) -> Result<Option<Snapshot<TrailState>>, GuardError> {
        let client = self.client(&trail.region);
        let arn = trail.arn.as_str();
        let (got, status, selectors, tags) = tokio::join!(
            client.get_trail().name(arn).send(),
            client.get_trail_status().name(arn).send(),
            client.get_event_selectors().trail_name(arn).send(),
            client.list_tags().resource_id_list(arn).send(),
        );
        let got = found(GET_TRAIL, arn, got)?;
        let status = found(GET_TRAIL_STATUS, arn, status)?;
        let selectors = found(GET_EVENT_SELECTORS, arn, selectors)?;
        let tags = found(LIST_TAGS, arn, tags)?;
        let (Some(got), Some(status), Some(selectors), Some(tags)) = (got, status, selectors, tags)
        else {
            return Ok(gone(trail));
        };
        let Some(settings) = got.trail() else {
            return Ok(gone(trail));
        };

        let selectors = Selectors {
            basic: selectors
                .event_selectors()
                .iter()
                .map(|s| BasicSelector {
                    read_write_type: s.read_write_type().map(|t| t.as_str().to_string()),
                    include_management_events: s.include_management_events(),
                })
                .collect(),
            advanced: selectors
                .advanced_event_selectors()
                .iter()
                .map(|s| AdvancedSelector {
                    name: s.name().map(str::to_string),
                    fields: s
                        .field_selectors()
                        .iter()
                        .map(|f| FieldSelector {
                            field: f.field().to_string(),
                            equals: f.equals().to_vec(),
                            starts_with: f.starts_with().to_vec(),
                            ends_with: f.ends_with().to_vec(),
                            not_equals: f.not_equals().to_vec(),
                            not_starts_with: f.not_starts_with().to_vec(),
                            not_ends_with: f.not_ends_with().to_vec(),
                        })
                        .collect(),
                })
                .collect(),
        };
        let tags = tags
            .resource_tag_list()
            .iter()
            .filter(|r| r.resource_id().is_none_or(|id| id == arn))
            .flat_map(|r| r.tags_list())
            .map(|t| {
                (
                    t.key().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        Ok(Some(Snapshot {
            state: TrailState::Live(TrailSettings {
                is_logging: status.is_logging().unwrap_or(false),
                log_file_validation: settings.log_file_validation_enabled().unwrap_or(false),
                is_multi_region: settings.is_multi_region_trail().unwrap_or(false),
                include_global_service_events: settings
                    .include_global_service_events()
                    .unwrap_or(false),
                kms_key_id: settings
                    .kms_key_id()
                    .filter(|key| !key.is_empty())
                    .map(str::to_string),
                selectors,
            }),
            tags,
        }))
    }

    /// Makes the plan's changes: one `UpdateTrail` naming only the settings
    /// to turn back on, then `StartLogging`.
    pub async fn write(&self, trail: &Trail, plan: &TrailPlan) -> Result<(), GuardError> {
        let client = self.client(&trail.region);
        if plan.updates_trail() {
            client
                .update_trail()
                .name(&trail.arn)
                .set_enable_log_file_validation(plan.enable_log_file_validation.then_some(true))
                .set_is_multi_region_trail(plan.make_multi_region.then_some(true))
                .set_include_global_service_events(
                    plan.include_global_service_events.then_some(true),
                )
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(UPDATE_TRAIL, &trail.arn, e))?;
        }
        if plan.start_logging {
            client
                .start_logging()
                .name(&trail.arn)
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(START_LOGGING, &trail.arn, e))?;
        }
        Ok(())
    }
}

/// A trail that could not be found: deleted by the event itself (still a
/// finding), or gone before the event was handled (nothing to check).
fn gone(trail: &Trail) -> Option<Snapshot<TrailState>> {
    (trail.trigger == Trigger::DeleteTrail).then(|| Snapshot {
        state: TrailState::Deleted,
        tags: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::config::http::HttpResponse;
    use aws_sdk_cloudtrail::error::ErrorMetadata;
    use aws_sdk_cloudtrail::operation::get_trail::GetTrailError;
    use aws_sdk_cloudtrail::operation::start_logging::StartLoggingError;
    use aws_smithy_types::body::SdkBody;

    const ARN: &str = "arn:aws:cloudtrail:us-east-1:123456789012:trail/t1";

    fn service_error<E>(err: E, status: u16) -> SdkError<E, HttpResponse> {
        let status = status.try_into().expect("a status code");
        SdkError::service_error(err, HttpResponse::new(status, SdkBody::empty()))
    }

    fn error(code: &str, message: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message(message).build()
    }

    #[test]
    fn access_denied_names_the_missing_permission() {
        let denied = service_error(
            StartLoggingError::generic(error("AccessDeniedException", "not authorized")),
            400,
        );
        let err = found::<(), _, _>(START_LOGGING, ARN, Err(denied)).unwrap_err();
        assert_eq!(err.error_type(), "Warden.AccessDenied");
        assert_eq!(
            err.to_string(),
            format!(
                "StartLogging on {ARN} was denied: grant the function's role `cloudtrail:StartLogging` on it (not authorized)"
            )
        );
    }

    #[test]
    fn a_missing_trail_is_not_an_error() {
        let missing = service_error(
            GetTrailError::generic(error("TrailNotFoundException", "Unknown trail")),
            400,
        );
        assert!(matches!(
            found::<(), _, _>(GET_TRAIL, ARN, Err(missing)),
            Ok(None)
        ));
        let throttled = service_error(
            GetTrailError::generic(error("ThrottlingException", "Rate exceeded")),
            400,
        );
        let err = found::<(), _, _>(GET_TRAIL, ARN, Err(throttled)).unwrap_err();
        assert_eq!(err.error_type(), "Warden.Throttled");
    }
}
