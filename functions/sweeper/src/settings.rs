//! The sweep's own settings, read once at start-up. Each guard's settings
//! (minimum encryption, tag action, quarantine policy, ...) are read by the
//! guard itself from the same environment, so a sweep and an event enforce
//! exactly the same rules.

use crate::shard::{ResourceType, home_region};
use std::time::Duration;
use strum::VariantArray;
use warden_shared::config::{self, Env};
use warden_shared::{ConfigError, Mode};

/// How a sweep runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepSettings {
    /// What the sweep does about a finding: its own mode, so a team can fix
    /// changes as they happen (`WARDEN_MODE`) while only reporting the
    /// backlog.
    pub mode: Mode,
    /// At most this many resources are checked at once in one invocation.
    pub concurrency: usize,
    /// Time kept back before the invocation's deadline: when only this much
    /// is left, no more resources are started and the rest of the shard is
    /// sent back to the queue.
    pub reserve: Duration,
    /// The regions a sweep covers when the request names none.
    pub regions: Vec<String>,
    /// The queue shards and continuations are sent to; required to plan a
    /// sweep or continue a shard, not for an inline sweep.
    pub queue_url: Option<String>,
}

impl SweepSettings {
    pub const MODE: &'static str = "WARDEN_SWEEP_MODE";
    pub const CONCURRENCY: &'static str = "WARDEN_SWEEP_CONCURRENCY";
    pub const RESERVE_MS: &'static str = "WARDEN_SWEEP_RESERVE_MS";
    pub const REGIONS: &'static str = "WARDEN_SWEEP_REGIONS";
    pub const QUEUE_URL: &'static str = "WARDEN_SWEEP_QUEUE_URL";

    pub const DEFAULT_CONCURRENCY: usize = 16;
    /// Enough for the checks in flight to finish and the continuation to be
    /// sent, with a margin for a slow read-back.
    pub const DEFAULT_RESERVE: Duration = Duration::from_secs(20);
    const MAX_CONCURRENCY: usize = 256;

    /// Reads the settings. `AWS_REGION` (which Lambda sets) is the region
    /// swept when `WARDEN_SWEEP_REGIONS` is empty.
    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let mode = config::choice(env, Self::MODE, Mode::VARIANTS, Mode::Observe)?;
        if mode == Mode::Notify && env.value(warden_shared::Config::TOPIC_ARN).is_none() {
            return Err(ConfigError::Missing {
                var: warden_shared::Config::TOPIC_ARN,
                why: "WARDEN_SWEEP_MODE=notify sends every finding of a sweep to this SNS topic",
            });
        }
        let concurrency = config::whole(
            env,
            Self::CONCURRENCY,
            Self::DEFAULT_CONCURRENCY,
            1..=Self::MAX_CONCURRENCY,
        )?;
        let reserve = match env.value(Self::RESERVE_MS) {
            None => Self::DEFAULT_RESERVE,
            Some(text) => text
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| ConfigError::Invalid {
                    var: Self::RESERVE_MS,
                    value: text.clone(),
                    allowed: "milliseconds to keep back before the invocation's deadline (a whole number, e.g. 20000)".into(),
                })?,
        };
        let regions = match env.value(Self::REGIONS) {
            Some(list) => parse_regions(&list).map_err(|entry| ConfigError::Invalid {
                var: Self::REGIONS,
                value: entry,
                allowed: "comma-separated region names (us-east-1,eu-west-1), or nothing for the function's own region".into(),
            })?,
            None => match env.value("AWS_REGION") {
                Some(region) => vec![region],
                None => {
                    return Err(ConfigError::Missing {
                        var: Self::REGIONS,
                        why: "without it the sweep covers the function's own region (AWS_REGION), which is not set either",
                    });
                }
            },
        };
        Ok(Self {
            mode,
            concurrency,
            reserve,
            regions,
            queue_url: env.value(Self::QUEUE_URL),
        })
    }
}

/// `us-east-1, eu-west-1` as a list without repeats; the first entry that is
/// not a region name is the error.
pub fn parse_regions(list: &str) -> Result<Vec<String>, String> {
    let mut regions: Vec<String> = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        if !is_region(entry) {
            return Err(entry.to_string());
        }
        if !regions.iter().any(|r| r == entry) {
            regions.push(entry.to_string());
        }
    }
    Ok(regions)
}

/// `xx-name-N` (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

/// The shards a sweep of `types` over `regions` is made of: one per
/// (region, resource type). IAM users are listed once per partition, in its
/// home region (where IAM's events arrive), and only when that region is
/// swept, so stacks in several regions do not check every user each.
pub fn shards_of(types: &[ResourceType], regions: &[String]) -> Vec<(String, ResourceType)> {
    let mut shards = Vec::new();
    for region in regions {
        for kind in types {
            if *kind == ResourceType::IamUser && home_region(region) != region {
                continue;
            }
            shards.push((region.clone(), *kind));
        }
    }
    shards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let settings = SweepSettings::from_env(&[("AWS_REGION", "eu-west-1")][..]).unwrap();
        assert_eq!(
            settings,
            SweepSettings {
                mode: Mode::Observe,
                concurrency: 16,
                reserve: Duration::from_secs(20),
                regions: vec!["eu-west-1".into()],
                queue_url: None,
            }
        );
    }

    #[test]
    fn every_setting() {
        let env = [
            ("WARDEN_SWEEP_MODE", "remediate"),
            ("WARDEN_SWEEP_CONCURRENCY", "4"),
            ("WARDEN_SWEEP_RESERVE_MS", "1500"),
            ("WARDEN_SWEEP_REGIONS", "us-east-1, eu-west-1,us-east-1"),
            ("WARDEN_SWEEP_QUEUE_URL", "http://localhost/123/q"),
        ];
        let settings = SweepSettings::from_env(&env[..]).unwrap();
        assert_eq!(settings.mode, Mode::Remediate);
        assert_eq!(settings.concurrency, 4);
        assert_eq!(settings.reserve, Duration::from_millis(1500));
        assert_eq!(settings.regions, ["us-east-1", "eu-west-1"]);
        assert_eq!(
            settings.queue_url.as_deref(),
            Some("http://localhost/123/q")
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = |env: &[(&str, &str)]| SweepSettings::from_env(env).unwrap_err().to_string();
        assert_eq!(
            err(&[("WARDEN_SWEEP_MODE", "fix"), ("AWS_REGION", "us-east-1")]),
            r#"WARDEN_SWEEP_MODE="fix" is not valid: use one of observe, notify, remediate"#
        );
        assert_eq!(
            err(&[("WARDEN_SWEEP_MODE", "notify"), ("AWS_REGION", "us-east-1")]),
            "WARDEN_TOPIC_ARN is required: WARDEN_SWEEP_MODE=notify sends every finding of a sweep to this SNS topic"
        );
        assert_eq!(
            err(&[
                ("WARDEN_SWEEP_CONCURRENCY", "0"),
                ("AWS_REGION", "us-east-1")
            ]),
            r#"WARDEN_SWEEP_CONCURRENCY="0" is not valid: use a whole number from 1 to 256"#
        );
        assert!(
            err(&[("WARDEN_SWEEP_REGIONS", "us-east-1,Europe")])
                .starts_with(r#"WARDEN_SWEEP_REGIONS="Europe" is not valid"#)
        );
        assert!(
            err(&[
                ("WARDEN_SWEEP_RESERVE_MS", "soon"),
                ("AWS_REGION", "us-east-1")
            ])
            .starts_with(r#"WARDEN_SWEEP_RESERVE_MS="soon" is not valid"#)
        );
        assert!(err(&[]).starts_with("WARDEN_SWEEP_REGIONS is required"));
    }

    #[test]
    fn users_are_swept_in_the_partitions_home_region_only() {
        let all = ResourceType::VARIANTS;
        let regions = ["eu-west-1".to_string(), "us-east-1".to_string()];
        let shards: Vec<String> = shards_of(all, &regions)
            .iter()
            .map(|(r, t)| format!("{r}/{t}"))
            .collect();
        assert_eq!(
            shards,
            [
                "eu-west-1/s3-bucket",
                "eu-west-1/cloudtrail-trail",
                "eu-west-1/tagged-resource",
                "us-east-1/s3-bucket",
                "us-east-1/iam-user",
                "us-east-1/cloudtrail-trail",
                "us-east-1/tagged-resource",
            ]
        );
        let gov = shards_of(&[ResourceType::IamUser], &["us-gov-west-1".into()]);
        assert_eq!(gov, [("us-gov-west-1".to_string(), ResourceType::IamUser)]);
    }
}
