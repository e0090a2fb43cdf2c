//! Trail identifiers: how a request names a trail (a name or an ARN), and
//! the trail it means (name, ARN, home region, owner).

use crate::Trail;
use warden_shared::arn::{self, Arn, is_account_id};
use warden_shared::{CloudTrailEvent, EventError};

impl Trail {
    /// The trail `name` whose home is `region`, owned by `account`.
    pub fn new(name: &str, region: &str, account: &str) -> Self {
        Self {
            name: name.to_string(),
            arn: format!(
                "arn:{}:cloudtrail:{region}:{account}:trail/{name}",
                arn::partition(region)
            ),
            region: region.to_string(),
            account: account.to_string(),
        }
    }

    /// Reads `named` (a trail name or a trail ARN) from the request field
    /// `field`. An ARN gives the home region and the owner; a bare name is
    /// the caller's own trail in the region the call was made in.
    pub fn parse(
        named: &str,
        field: &str,
        event_region: &str,
        event_account: &str,
    ) -> Result<Self, EventError> {
        let invalid = |problem: String| EventError::invalid(field, problem);
        let trail = if named.starts_with("arn:") {
            let Some(parts) = Arn::parse(named) else {
                return Err(invalid(format!("is {named:?}, not a trail ARN")));
            };
            let name = parts.resource.strip_prefix("trail/").unwrap_or_default();
            if parts.service != "cloudtrail"
                || parts.region.is_empty()
                || !parts.has_account_id()
                || name.is_empty()
            {
                return Err(invalid(format!(
                    "is {named:?}, not a trail ARN (arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME)"
                )));
            }
            Self {
                name: name.to_string(),
                arn: named.to_string(),
                region: parts.region.to_string(),
                account: parts.account.to_string(),
            }
        } else {
            if event_region.is_empty() {
                return Err(EventError::missing("detail.awsRegion"));
            }
            if !is_account_id(event_account) {
                return Err(EventError::invalid(
                    "account",
                    format!("is {event_account:?}, not a 12-digit AWS account id"),
                ));
            }
            Self::new(named, event_region, event_account)
        };
        if !is_trail_name(&trail.name) {
            return Err(invalid(format!(
                "names the trail {:?}, which is not a valid trail name",
                trail.name
            )));
        }
        Ok(trail)
    }

    /// The trail an event about trails names, and how the request named it:
    /// `requestParameters.name`, or `requestParameters.trailName` for
    /// `PutEventSelectors`.
    pub fn named_by(event: &CloudTrailEvent) -> Result<(Self, String), EventError> {
        let key = if event.detail.event_name == "PutEventSelectors" {
            "trailName"
        } else {
            "name"
        };
        let named = event.request_string(&[key])?;
        let trail = Self::parse(
            &named,
            &format!("detail.requestParameters.{key}"),
            &event.detail.aws_region,
            &event.account,
        )?;
        Ok((trail, named))
    }
}

/// CloudTrail's naming rules: 3 to 128 letters, digits, `.`, `_` and `-`,
/// starting and ending with a letter or digit.
fn is_trail_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}
