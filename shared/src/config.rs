//! Configuration shared by every guard, read once at start-up.
//!
//! Values come from environment variables that the SAM template sets from
//! stack parameters. A bad value stops the function before it handles any
//! event, with a message naming the variable and what it accepts: a guard
//! that silently fell back to a default could be enforcing less than the
//! operator asked for.

use crate::arn::Arn;
use crate::identity::SelfArns;
use std::fmt;
use strum::VariantArray;

/// A source of configuration values: the process environment in production,
/// a map in tests (so tests never mutate the global environment).
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;

    /// The value, with surrounding blanks removed; empty counts as unset,
    /// since CloudFormation passes unset optional parameters as "".
    fn value(&self, name: &str) -> Option<String> {
        self.var(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Env for [(K, V)] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v.as_ref().to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}={value:?} is not valid: use {allowed}")]
    Invalid {
        var: &'static str,
        value: String,
        allowed: String,
    },
    #[error("{var} is required: {why}")]
    Missing {
        var: &'static str,
        why: &'static str,
    },
}

/// Reads an enumerated setting: one of `allowed` (by its name), or `default`
/// when unset.
pub fn choice<T: Copy + fmt::Display>(
    env: &(impl Env + ?Sized),
    var: &'static str,
    allowed: &[T],
    default: T,
) -> Result<T, ConfigError> {
    let Some(value) = env.value(var) else {
        return Ok(default);
    };
    allowed
        .iter()
        .copied()
        .find(|option| option.to_string().eq_ignore_ascii_case(&value))
        .ok_or_else(|| ConfigError::Invalid {
            var,
            value,
            allowed: one_of(allowed),
        })
}

pub fn boolean(
    env: &(impl Env + ?Sized),
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    choice(env, var, &[true, false], default)
}

/// A whole-number setting within `range`, or `default` when unset.
pub fn whole<T>(
    env: &(impl Env + ?Sized),
    var: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display,
{
    let Some(value) = env.value(var) else {
        return Ok(default);
    };
    value
        .parse::<T>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| ConfigError::Invalid {
            var,
            value,
            allowed: format!("a whole number from {} to {}", range.start(), range.end()),
        })
}

fn one_of<T: fmt::Display>(allowed: &[T]) -> String {
    let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    format!("one of {}", names.join(", "))
}

/// What a guard does about a finding.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Mode {
    /// Log and metrics only: the watch-only way to start.
    Observe,
    /// Also alert through the topic.
    Notify,
    /// Also change the resource, then read it back to confirm.
    Remediate,
}

/// Settings every guard has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    /// Where alerts go; required in `notify` mode, optional otherwise.
    pub topic_arn: Option<String>,
    /// Warden's own roles: their calls are never acted on.
    pub self_arns: SelfArns,
    /// The tag key that exempts a resource.
    pub exemption_tag: String,
    /// Where findings go besides SNS: Security Hub and an EventBridge bus.
    pub sinks: crate::sinks::SinkSettings,
    /// The state table (de-duplication, audit, suppressions, breaker);
    /// `None` without `WARDEN_STATE_TABLE`.
    pub state: Option<crate::state::StateSettings>,
    /// What to do about a violation CloudFormation made on its own stack's
    /// resource.
    pub iac_changes: IacChanges,
}

/// What a guard in `remediate` mode does when CloudFormation made the
/// change: fighting a stack update only brings the violation back on the
/// next deploy, so by default the finding names the stack and the fix goes
/// into its template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::VariantArray)]
#[strum(serialize_all = "lowercase")]
pub enum IacChanges {
    Notify,
    Remediate,
}

impl Config {
    pub const MODE: &'static str = "WARDEN_MODE";
    pub const TOPIC_ARN: &'static str = "WARDEN_TOPIC_ARN";
    pub const SELF_ARN: &'static str = "WARDEN_SELF_ARN";
    pub const EXEMPTION_TAG: &'static str = "WARDEN_EXEMPTION_TAG";
    pub const DEFAULT_EXEMPTION_TAG: &'static str = "warden:exempt";
    pub const IAC_CHANGES: &'static str = "WARDEN_IAC_CHANGES";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let mode = choice(env, Self::MODE, Mode::VARIANTS, Mode::Observe)?;
        let topic_arn = env.value(Self::TOPIC_ARN);
        if let Some(topic) = &topic_arn
            && Arn::parse(topic).is_none_or(|arn| arn.service != "sns")
        {
            return Err(ConfigError::Invalid {
                var: Self::TOPIC_ARN,
                value: topic.clone(),
                allowed: "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME) or nothing".into(),
            });
        }
        if mode == Mode::Notify && topic_arn.is_none() {
            return Err(ConfigError::Missing {
                var: Self::TOPIC_ARN,
                why: "WARDEN_MODE=notify sends every finding to this SNS topic",
            });
        }
        let self_arns =
            SelfArns::parse(&env.value(Self::SELF_ARN).unwrap_or_default()).map_err(|entry| {
                ConfigError::Invalid {
                var: Self::SELF_ARN,
                value: entry,
                allowed:
                    "comma-separated IAM role ARNs, each optionally ending in * to match a prefix"
                        .into(),
            }
            })?;
        Ok(Self {
            mode,
            topic_arn,
            self_arns,
            exemption_tag: env
                .value(Self::EXEMPTION_TAG)
                .unwrap_or_else(|| Self::DEFAULT_EXEMPTION_TAG.into()),
            sinks: crate::sinks::SinkSettings::from_env(env)?,
            state: crate::state::StateSettings::from_env(env)?,
            iac_changes: choice(
                env,
                Self::IAC_CHANGES,
                IacChanges::VARIANTS,
                IacChanges::Notify,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_watch_only() {
        let env: [(&str, &str); 0] = [];
        let config = Config::from_env(&env[..]).unwrap();
        assert_eq!(config.mode, Mode::Observe);
        assert_eq!(config.topic_arn, None);
        assert!(config.self_arns.is_empty());
        assert_eq!(config.exemption_tag, "warden:exempt");
    }

    #[test]
    fn reads_every_setting() {
        let env = [
            ("WARDEN_MODE", "Remediate"),
            (
                "WARDEN_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:warden",
            ),
            ("WARDEN_SELF_ARN", "arn:aws:iam::123456789012:role/warden-*"),
            ("WARDEN_EXEMPTION_TAG", "security:exempt"),
        ];
        let config = Config::from_env(&env[..]).unwrap();
        assert_eq!(config.mode, Mode::Remediate);
        assert_eq!(
            config.topic_arn.as_deref(),
            Some("arn:aws:sns:us-east-1:123456789012:warden")
        );
        assert!(!config.self_arns.is_empty());
        assert_eq!(config.exemption_tag, "security:exempt");
    }

    #[test]
    fn bad_values_name_the_variable_and_the_choices() {
        let err = Config::from_env(&[("WARDEN_MODE", "fix")][..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"WARDEN_MODE="fix" is not valid: use one of observe, notify, remediate"#
        );

        let err = Config::from_env(&[("WARDEN_MODE", "notify")][..]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "WARDEN_TOPIC_ARN is required: WARDEN_MODE=notify sends every finding to this SNS topic"
        );

        let err = Config::from_env(&[("WARDEN_SELF_ARN", "arn:aws:iam::1:role/a,my-role")][..])
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"WARDEN_SELF_ARN="my-role" is not valid"#),
            "{err}"
        );

        let err = Config::from_env(&[("WARDEN_TOPIC_ARN", "warden-topic")][..]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"WARDEN_TOPIC_ARN="warden-topic" is not valid"#),
            "{err}"
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(boolean(&[("X", "TRUE")][..], "X", false), Ok(true));
        assert_eq!(boolean(&[("X", " ")][..], "X", true), Ok(true));
        assert_eq!(
            boolean(&[("X", "yes")][..], "X", true)
                .unwrap_err()
                .to_string(),
            r#"X="yes" is not valid: use one of true, false"#
        );
    }
}
