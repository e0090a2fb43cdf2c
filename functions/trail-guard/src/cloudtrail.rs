//! The adapter around CloudTrail: one concurrent round of reads, one of
//! writes, always in the trail's home region (CloudTrail refuses changes to
//! a trail from any other region). A missing trail becomes `None` (what that
//! means is the guard's to say: after a `DeleteTrail` it is the deletion
//! itself, see [`TrailGuard`]'s `missing`); anything else an error naming the
//! call and the permission it needs.

use crate::calls::{
    GET_EVENT_SELECTORS, GET_TRAIL, GET_TRAIL_STATUS, LIST_TAGS, START_LOGGING, UPDATE_TRAIL,
};
use crate::selectors::{AdvancedSelector, BasicSelector, FieldSelector, Selectors};
use crate::{Trail, TrailGuard, TrailPlan, TrailSettings, TrailState};
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::config::Region;
use warden_shared::aws::Regional;
use warden_shared::error::found;
use warden_shared::{Adapter, Applied, GuardError, Snapshot};

/// The error codes that mean "there is no such trail".
const NOT_FOUND: [&str; 2] = ["TrailNotFoundException", "ResourceNotFoundException"];

/// CloudTrail clients, one per home region, built on first use and kept for
/// the life of the sandbox.
pub struct Trails {
    clients: Regional<Client>,
}

/// A CloudTrail client for `region`, from the function's configuration.
fn client(config: &SdkConfig, region: &str) -> Client {
    let config = aws_sdk_cloudtrail::config::Builder::from(config)
        .region(Region::new(region.to_string()))
        .build();
    Client::from_conf(config)
}

impl Trails {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            clients: Regional::new(config, client),
        }
    }

    /// The client for `region`.
    pub fn client(&self, region: &str) -> Client {
        self.clients.client(region)
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
        let got = found(GET_TRAIL, arn, &NOT_FOUND, got)?;
        let status = found(GET_TRAIL_STATUS, arn, &NOT_FOUND, status)?;
        let selectors = found(GET_EVENT_SELECTORS, arn, &NOT_FOUND, selectors)?;
        let tags = found(LIST_TAGS, arn, &NOT_FOUND, tags)?;
        let (Some(got), Some(status), Some(selectors), Some(tags)) = (got, status, selectors, tags)
        else {
            return Ok(None);
        };
        let Some(settings) = got.trail() else {
            return Ok(None);
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

impl Adapter<TrailGuard> for Trails {
    async fn read(&self, trail: &Trail) -> Result<Option<Snapshot<TrailState>>, GuardError> {
        Trails::read(self, trail).await
    }

    async fn apply(&self, trail: &Trail, plan: &TrailPlan) -> Result<Applied, GuardError> {
        self.write(trail, plan).await?;
        Ok(Applied::Done)
    }
}
