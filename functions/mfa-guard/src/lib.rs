//! mfa-guard: an IAM user who can sign in to the console (has a login
//! profile, a console password) has an MFA device, or is quarantined until
//! they set one up themselves.
//!
//! - [`MfaGuard`] is the pure half: settings, how an event is read (once),
//!   and how the fixes of its rules ([`rules`]) combine into writes.
//! - [`iam::IamUsers`] is the only code that talks to IAM.
//! - [`signin`] sorts console sign-ins; [`quarantine`] holds the quarantine
//!   policy document the template creates; [`subject`] the types the rules
//!   look at.
//!
//! Remediation attaches the quarantine policy (or, when configured,
//! deletes the login profile); when a later check finds an MFA device the
//! quarantine is detached again. Nothing else about a user is ever changed,
//! and a user is never deleted.

pub mod calls;
pub mod iam;
pub mod quarantine;
pub mod restore;
pub mod rules;
pub mod signin;
pub mod subject;

use serde_json::Value;
use signin::SignIn;
use strum::VariantArray;
use subject::{Evidence, Fix, MfaPlan, MfaState, Subject, User, is_user_name};
use warden_shared::arn::Arn;
use warden_shared::aws::SdkConfig;
use warden_shared::config::{self, Env};
use warden_shared::{
    AwsCall, Check, CloudTrailEvent, Composed, ConfigError, EventError, Guard, Input, Reading, Rule,
};

/// Rule names, as they appear in findings, metrics and exemption tags.
pub mod rule {
    /// A user with a console password has an MFA device, or is quarantined.
    pub const CONSOLE_MFA: &str = "console-mfa";
    /// The root user signed in to the console without MFA (report only).
    pub const ROOT_CONSOLE_MFA: &str = "root-console-mfa";
    /// A quarantined user who now has an MFA device is released.
    pub const QUARANTINE_LIFT: &str = "quarantine-lift";
}

/// The IAM management events that can give a user console access without
/// MFA, or end it (`EnableMFADevice`).
pub const IAM_EVENTS: [&str; 5] = [
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "EnableMFADevice",
];

/// Every event mfa-guard subscribes to: the IAM events and console sign-ins.
pub const HANDLED_EVENTS: [&str; 6] = [
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "EnableMFADevice",
    "ConsoleLogin",
];

/// How CloudTrail names the root user in `requestParameters.userName` when
/// root manages its own MFA device.
const ROOT_USER_NAME: &str = "AWS ROOT USER";

/// What remediation does to a user with a console password and no MFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display, strum::VariantArray)]
#[strum(serialize_all = "kebab-case")]
pub enum MfaAction {
    /// Attach the quarantine policy: the user keeps their password and can
    /// set up MFA themselves; everything else is denied without MFA.
    Quarantine,
    /// Delete the login profile (the console password). Stronger: the user
    /// needs an administrator to get console access back.
    DisableConsole,
}

/// mfa-guard's settings and rules. Holds no client: no rule can reach IAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaGuard {
    pub action: MfaAction,
    /// The customer-managed quarantine policy the template creates; the only
    /// policy mfa-guard ever attaches or detaches.
    pub quarantine_policy_arn: String,
}

impl MfaGuard {
    pub const ACTION: &'static str = "WARDEN_MFA_ACTION";
    pub const QUARANTINE_POLICY_ARN: &'static str = "WARDEN_QUARANTINE_POLICY_ARN";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let action = config::choice(
            env,
            Self::ACTION,
            MfaAction::VARIANTS,
            MfaAction::Quarantine,
        )?;
        let Some(arn) = env.value(Self::QUARANTINE_POLICY_ARN) else {
            return Err(ConfigError::Missing {
                var: Self::QUARANTINE_POLICY_ARN,
                why: "mfa-guard attaches this customer-managed policy (the template's MfaQuarantinePolicy) to users without MFA, and detaches it once they have MFA",
            });
        };
        if !is_customer_policy_arn(&arn) {
            return Err(ConfigError::Invalid {
                var: Self::QUARANTINE_POLICY_ARN,
                value: arn,
                allowed: "a customer-managed IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)"
                    .into(),
            });
        }
        Ok(Self {
            action,
            quarantine_policy_arn: arn,
        })
    }
}

/// `arn:PARTITION:iam::ACCOUNT:policy/[PATH/]NAME` with a 12-digit account.
fn is_customer_policy_arn(text: &str) -> bool {
    Arn::parse(text).is_some_and(|arn| {
        arn.partition.starts_with("aws")
            && arn.service == "iam"
            && arn.region.is_empty()
            && arn.has_account_id()
            && arn
                .resource
                .strip_prefix("policy/")
                .is_some_and(|name| !name.is_empty() && !name.ends_with('/'))
    })
}

/// The caller's user name, when the caller is an IAM user.
fn calling_user(event: &CloudTrailEvent) -> Option<&str> {
    let identity = &event.detail.user_identity;
    (identity.kind.as_deref() == Some("IAMUser"))
        .then_some(identity.user_name.as_deref())
        .flatten()
}

fn requested_user(event: &CloudTrailEvent) -> Option<&str> {
    event
        .detail
        .request_parameters
        .get("userName")
        .and_then(Value::as_str)
}

/// The user called `name`, which the event gave in `field`.
fn user(event: &CloudTrailEvent, name: &str, field: &str) -> Result<User, EventError> {
    if is_user_name(name) {
        Ok(User::new(name, &event.account, &event.detail.aws_region))
    } else {
        Err(EventError::invalid(
            field,
            format!("is {name:?}, not an IAM user name"),
        ))
    }
}

/// A console sign-in: classified once, and the user looked up once.
fn read_sign_in(event: &CloudTrailEvent) -> Reading<Subject, Evidence> {
    let subject = match signin::classify(event) {
        SignIn::Skip(reason) => return Reading::Skip(reason),
        SignIn::Root => Subject::root(&event.account, &event.detail.aws_region),
        SignIn::User(None) => {
            return Reading::Malformed(EventError::missing("detail.userIdentity.userName"));
        }
        SignIn::User(Some(name)) => match user(event, &name, "detail.userIdentity.userName") {
            Ok(mut user) => {
                // The sign-in names the user with its path; keep it.
                if let Some(arn) = &event.detail.user_identity.arn
                    && Arn::parse(arn).is_some_and(|parsed| {
                        parsed.service == "iam"
                            && parsed
                                .typed_resource()
                                .is_some_and(|(kind, _)| kind == "user")
                            && parsed.resource_name() == name
                    })
                {
                    user.arn = arn.clone();
                }
                Subject::User(user)
            }
            Err(err) => return Reading::Malformed(err),
        },
    };
    Reading::Check(Check::one(subject, Evidence::SignInWithoutMfa))
}

/// An IAM call on a user's login profile or MFA devices.
fn read_iam_call(event: &CloudTrailEvent) -> Reading<Subject, Evidence> {
    let detail = &event.detail;
    if requested_user(event) == Some(ROOT_USER_NAME) {
        return Reading::Skip(format!(
            "{} on the root user's own MFA device: root is not an IAM user; mfa-guard reports root when it signs in without MFA",
            detail.event_name
        ));
    }
    let found = if detail.event_name == "DeleteVirtualMFADevice" {
        // The device's former user cannot be looked up any more: re-check
        // the IAM user who deleted it, if an IAM user did.
        let Some(name) = calling_user(event) else {
            let serial = detail
                .request_parameters
                .get("serialNumber")
                .and_then(Value::as_str)
                .unwrap_or("(no serialNumber)");
            let caller = detail
                .user_identity
                .principal()
                .unwrap_or("an unknown caller");
            return Reading::Skip(format!(
                "DeleteVirtualMFADevice names only the device ({serial}), and IAM deletes only a device no user has: the user who lost it was named by the DeactivateMFADevice event before it, which mfa-guard checks; the caller ({caller}) is not an IAM user to re-check"
            ));
        };
        user(event, name, "detail.userIdentity.userName")
    } else {
        match (requested_user(event), calling_user(event)) {
            (Some(name), _) => user(event, name, "detail.requestParameters.userName"),
            // Without a userName, IAM acts on the calling user.
            (None, Some(name)) => user(event, name, "detail.userIdentity.userName"),
            (None, None) => Err(EventError::missing("detail.requestParameters.userName")),
        }
    };
    match found {
        Ok(user) => Reading::Check(Check::one(Subject::User(user), Evidence::IamCall)),
        Err(err) => Reading::Malformed(err),
    }
}

impl Guard for MfaGuard {
    const NAME: &'static str = "mfa-guard";
    /// The user's tags, for exemptions.
    const READS: &'static [AwsCall] = &[calls::LIST_USER_TAGS];
    type Target = Subject;
    type State = MfaState;
    type Evidence = Evidence;
    type Fix = Fix;
    type Plan = MfaPlan;
    type Adapter = iam::IamUsers;

    /// The adapter attaches and detaches the guard's quarantine policy.
    fn start(
        env: &(impl Env + ?Sized),
        aws: &SdkConfig,
    ) -> Result<(Self, iam::IamUsers), ConfigError> {
        let guard = Self::from_env(env)?;
        let users = iam::IamUsers::new(
            aws_sdk_iam::Client::new(aws),
            guard.quarantine_policy_arn.clone(),
        );
        Ok((guard, users))
    }

    /// `console-mfa` is fixed as `MfaAction` says, so its fix (and the call
    /// it makes) differs per setting.
    fn rules(&self) -> &'static [&'static dyn Rule<Self>] {
        match self.action {
            MfaAction::Quarantine => &rules::QUARANTINE,
            MfaAction::DisableConsole => &rules::DISABLE_CONSOLE,
        }
    }

    fn read_event(&self, event: &CloudTrailEvent) -> Reading<Subject, Evidence> {
        let detail = &event.detail;
        match detail.event_source.as_str() {
            "signin.amazonaws.com" if detail.event_name == "ConsoleLogin" => read_sign_in(event),
            "iam.amazonaws.com" if IAM_EVENTS.contains(&detail.event_name.as_str()) => {
                read_iam_call(event)
            }
            _ => Reading::not_handled(Self::NAME, event),
        }
    }

    /// Whether the quarantine policy is attached (or, with
    /// `MfaAction=disable-console`, whether the login profile exists): see
    /// [`restore`].
    fn written(&self, rule: &str, state: &MfaState) -> Value {
        restore::written(self, rule, state)
    }

    /// The fixes in the order the rules report them; each is its own write.
    fn plan(&self, _: &Input<'_, Self>, fixes: &[&Fix]) -> Composed<MfaPlan> {
        Composed::all(MfaPlan {
            fixes: fixes.iter().map(|fix| **fix).collect(),
        })
    }
}

#[cfg(test)]
mod tests;
