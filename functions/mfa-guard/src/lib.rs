//! mfa-guard: an IAM user who can sign in to the console (has a login
//! profile, a console password) has an MFA device, or is quarantined until
//! they set one up themselves.
//!
//! - The rule lives in a pure function ([`evaluate`]) over a [`UserState`].
//! - [`iam::IamUsers`] is the only code that talks to IAM.
//! - [`signin`] sorts console sign-ins; [`quarantine`] holds the quarantine
//!   policy document the template creates.
//!
//! Remediation attaches the quarantine policy (or, when configured,
//! deletes the login profile); when a later check finds an MFA device the
//! quarantine is detached again. Nothing else about a user is ever changed,
//! and a user is never deleted.

pub mod iam;
pub mod quarantine;
pub mod signin;

use serde_json::{Value, json};
use signin::SignIn;
use std::fmt;
use warden_shared::config::{self, Env};
use warden_shared::pipeline::{Assessment, Guard, Planned, Snapshot};
use warden_shared::{
    Change, CloudTrailEvent, ConfigError, EventError, Exemption, Finding, GuardError, Severity,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaAction {
    /// Attach the quarantine policy: the user keeps their password and can
    /// set up MFA themselves; everything else is denied without MFA.
    Quarantine,
    /// Delete the login profile (the console password). Stronger: the user
    /// needs an administrator to get console access back.
    DisableConsole,
}

impl fmt::Display for MfaAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MfaAction::Quarantine => "quarantine",
            MfaAction::DisableConsole => "disable-console",
        })
    }
}

/// mfa-guard's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaRules {
    pub action: MfaAction,
    /// The customer-managed quarantine policy the template creates; the only
    /// policy mfa-guard ever attaches or detaches.
    pub quarantine_policy_arn: String,
}

impl MfaRules {
    pub const ACTION: &'static str = "WARDEN_MFA_ACTION";
    pub const QUARANTINE_POLICY_ARN: &'static str = "WARDEN_QUARANTINE_POLICY_ARN";

    pub fn from_env(env: &(impl Env + ?Sized)) -> Result<Self, ConfigError> {
        let action = config::choice(
            env,
            Self::ACTION,
            &[MfaAction::Quarantine, MfaAction::DisableConsole],
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
fn is_customer_policy_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("policy/").is_some_and(|name| !name.is_empty() && !name.ends_with('/'))
    )
}

/// IAM user names: 1-64 of letters, digits and `+=,.@_-`.
fn is_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// Who an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(User),
    /// The account's root user (console sign-ins only).
    Root {
        account: String,
        arn: String,
    },
}

/// One IAM user, named by the event or by the sweeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub arn: String,
}

impl User {
    /// `arn:PARTITION:iam::ACCOUNT:user/NAME`. Events name a user without
    /// its path; the name alone is unique in the account.
    pub fn new(name: &str, account: &str, region: &str) -> Self {
        let partition = warden_shared::arn::partition(region);
        Self {
            name: name.to_string(),
            arn: format!("arn:{partition}:iam::{account}:user/{name}"),
        }
    }
}

impl Subject {
    pub fn root(account: &str, region: &str) -> Self {
        let partition = warden_shared::arn::partition(region);
        Subject::Root {
            account: account.to_string(),
            arn: format!("arn:{partition}:iam::{account}:root"),
        }
    }

    pub fn arn(&self) -> &str {
        match self {
            Subject::User(user) => &user.arn,
            Subject::Root { arn, .. } => arn,
        }
    }
}

/// What the rule looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaState {
    User(UserState),
    /// Root signed in without MFA: the event is the evidence, there is
    /// nothing to read.
    Root,
}

/// One user's console access, MFA devices and quarantine, read in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserState {
    /// The user has a login profile (a console password).
    pub console_password: bool,
    /// Serial numbers (ARNs) of the user's MFA devices.
    pub mfa_devices: Vec<String>,
    /// The quarantine policy is attached to the user.
    pub quarantined: bool,
}

/// One change mfa-guard makes to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    AttachQuarantine,
    DetachQuarantine,
    DeleteLoginProfile,
}

/// The changes that fix a user, in order. Only safe changes are here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MfaPlan {
    pub fixes: Vec<Fix>,
}

/// The pure step: findings and the plan for one subject.
pub fn evaluate(
    rules: &MfaRules,
    subject: &Subject,
    state: &MfaState,
    exemption: &Exemption,
) -> Assessment<MfaPlan> {
    let mut findings = Vec::new();
    let mut plan = MfaPlan::default();
    let policy = json!({"PolicyArn": rules.quarantine_policy_arn});
    match (subject, state) {
        (Subject::Root { account, arn }, _) => {
            if !exemption.covers(rule::ROOT_CONSOLE_MFA) {
                let finding = Finding::new(
                    rule::ROOT_CONSOLE_MFA,
                    arn,
                    format!(
                        "the root user of account {account} signed in to the console without MFA"
                    ),
                    vec![],
                )
                .with_severity(Severity::Critical);
                findings.push(Planned::blocked(
                    finding,
                    "Warden cannot change the root user: sign in as root and assign an MFA device under Security credentials",
                ));
            }
        }
        (Subject::User(user), MfaState::User(state)) => {
            let no_mfa = state.mfa_devices.is_empty();
            if !exemption.covers(rule::CONSOLE_MFA) && state.console_password && no_mfa {
                let evidence = format!(
                    "{} can sign in to the console with a password and has no MFA device",
                    user.name
                );
                let change = match rules.action {
                    MfaAction::Quarantine if state.quarantined => None,
                    MfaAction::Quarantine => {
                        plan.fixes.push(Fix::AttachQuarantine);
                        Some(Change {
                            action: "attach-user-policy".into(),
                            before: Value::Null,
                            after: policy.clone(),
                        })
                    }
                    MfaAction::DisableConsole => {
                        plan.fixes.push(Fix::DeleteLoginProfile);
                        Some(Change {
                            action: "delete-login-profile".into(),
                            before: json!({"ConsoleAccess": true}),
                            after: json!({"ConsoleAccess": false}),
                        })
                    }
                };
                // A quarantined user cannot use the console without MFA:
                // the rule holds until they set MFA up.
                if let Some(change) = change {
                    findings.push(Planned::fixable(
                        Finding::new(rule::CONSOLE_MFA, &user.arn, evidence, vec![change])
                            .with_severity(Severity::High),
                    ));
                }
            }
            if !exemption.covers(rule::QUARANTINE_LIFT) && state.quarantined && !no_mfa {
                let evidence = format!(
                    "{} has an MFA device now ({}), so the quarantine is no longer needed",
                    user.name,
                    state.mfa_devices.join(", ")
                );
                let change = Change {
                    action: "detach-user-policy".into(),
                    before: policy,
                    after: Value::Null,
                };
                findings.push(Planned::fixable(
                    Finding::new(rule::QUARANTINE_LIFT, &user.arn, evidence, vec![change])
                        .with_severity(Severity::Low),
                ));
                plan.fixes.push(Fix::DetachQuarantine);
            }
        }
        (Subject::User(_), MfaState::Root) => {}
    }
    Assessment { findings, plan }
}

/// The guard the pipeline runs.
pub struct MfaGuard {
    users: iam::IamUsers,
    rules: MfaRules,
}

impl MfaGuard {
    pub fn new(client: aws_sdk_iam::Client, rules: MfaRules) -> Self {
        Self {
            users: iam::IamUsers::new(client, rules.quarantine_policy_arn.clone()),
            rules,
        }
    }

    pub fn rules(&self) -> &MfaRules {
        &self.rules
    }
}

fn is_console_login(event: &CloudTrailEvent) -> bool {
    event.detail.event_source == "signin.amazonaws.com" && event.detail.event_name == "ConsoleLogin"
}

fn is_iam_event(event: &CloudTrailEvent) -> bool {
    event.detail.event_source == "iam.amazonaws.com"
        && IAM_EVENTS.contains(&event.detail.event_name.as_str())
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

impl Guard for MfaGuard {
    const NAME: &'static str = "mfa-guard";
    type Target = Subject;
    type State = MfaState;
    type Plan = MfaPlan;

    fn handles(&self, event: &CloudTrailEvent) -> bool {
        is_console_login(event) || is_iam_event(event)
    }

    fn skip(&self, event: &CloudTrailEvent) -> Option<String> {
        if is_console_login(event) {
            return match signin::classify(event) {
                SignIn::Skip(reason) => Some(reason),
                SignIn::User(_) | SignIn::Root => None,
            };
        }
        if requested_user(event) == Some(ROOT_USER_NAME) {
            return Some(format!(
                "{} on the root user's own MFA device: root is not an IAM user; mfa-guard reports root when it signs in without MFA",
                event.detail.event_name
            ));
        }
        if event.detail.event_name == "DeleteVirtualMFADevice" && calling_user(event).is_none() {
            let serial = event
                .detail
                .request_parameters
                .get("serialNumber")
                .and_then(Value::as_str)
                .unwrap_or("(no serialNumber)");
            let caller = event
                .detail
                .user_identity
                .principal()
                .unwrap_or("an unknown caller");
            return Some(format!(
                "DeleteVirtualMFADevice names only the device ({serial}), and IAM deletes only a device no user has: the user who lost it was named by the DeactivateMFADevice event before it, which mfa-guard checks; the caller ({caller}) is not an IAM user to re-check"
            ));
        }
        None
    }

    fn target(&self, event: &CloudTrailEvent) -> Result<Subject, EventError> {
        let account = &event.account;
        let region = &event.detail.aws_region;
        let user = |name: &str, field: &str| {
            if is_user_name(name) {
                Ok(Subject::User(User::new(name, account, region)))
            } else {
                Err(EventError::invalid(
                    field,
                    format!("is {name:?}, not an IAM user name"),
                ))
            }
        };
        if is_console_login(event) {
            return match signin::classify(event) {
                SignIn::Root => Ok(Subject::root(account, region)),
                SignIn::User(Some(name)) => {
                    let mut subject = user(&name, "detail.userIdentity.userName")?;
                    // The sign-in names the user with its path; keep it.
                    if let (Subject::User(u), Some(arn)) =
                        (&mut subject, &event.detail.user_identity.arn)
                        && arn.ends_with(&format!("/{name}"))
                        && arn.contains(":user/")
                    {
                        u.arn = arn.clone();
                    }
                    Ok(subject)
                }
                SignIn::User(None) => Err(EventError::missing("detail.userIdentity.userName")),
                SignIn::Skip(reason) => Err(EventError::invalid("detail", reason)),
            };
        }
        if event.detail.event_name == "DeleteVirtualMFADevice" {
            // The device's former user cannot be looked up any more (see
            // `skip`): re-check the IAM user who deleted it.
            return match calling_user(event) {
                Some(name) => user(name, "detail.userIdentity.userName"),
                None => Err(EventError::missing("detail.userIdentity.userName")),
            };
        }
        match (requested_user(event), calling_user(event)) {
            (Some(name), _) => user(name, "detail.requestParameters.userName"),
            // Without a userName, IAM acts on the calling user.
            (None, Some(name)) => user(name, "detail.userIdentity.userName"),
            (None, None) => Err(EventError::missing("detail.requestParameters.userName")),
        }
    }

    fn resource_arn(&self, subject: &Subject) -> String {
        subject.arn().to_string()
    }

    async fn read(&self, subject: &Subject) -> Result<Option<Snapshot<MfaState>>, GuardError> {
        match subject {
            Subject::Root { .. } => Ok(Some(Snapshot {
                state: MfaState::Root,
                tags: vec![],
            })),
            Subject::User(user) => Ok(self.users.read(user).await?.map(|snapshot| Snapshot {
                state: MfaState::User(snapshot.state),
                tags: snapshot.tags,
            })),
        }
    }

    fn evaluate(
        &self,
        subject: &Subject,
        state: &MfaState,
        exemption: &Exemption,
    ) -> Assessment<MfaPlan> {
        evaluate(&self.rules, subject, state, exemption)
    }

    async fn apply(&self, subject: &Subject, plan: &MfaPlan) -> Result<(), GuardError> {
        match subject {
            Subject::User(user) => self.users.write(user, plan).await,
            // Nothing about root is ever planned.
            Subject::Root { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: &str = "arn:aws:iam::123456789012:policy/warden-MfaQuarantinePolicy-1A2B";

    fn rules(action: MfaAction) -> MfaRules {
        MfaRules {
            action,
            quarantine_policy_arn: Q.into(),
        }
    }

    fn alice() -> Subject {
        Subject::User(User::new("alice", "123456789012", "us-east-1"))
    }

    fn state(console_password: bool, mfa: &[&str], quarantined: bool) -> MfaState {
        MfaState::User(UserState {
            console_password,
            mfa_devices: mfa.iter().map(|s| s.to_string()).collect(),
            quarantined,
        })
    }

    fn summary(a: &Assessment<MfaPlan>) -> (Vec<(&str, bool)>, Vec<Fix>) {
        let findings = a
            .findings
            .iter()
            .map(|p| (p.finding.rule.as_str(), p.blocked.is_none()))
            .collect();
        (findings, a.plan.fixes.clone())
    }

    const DEVICE: &str = "arn:aws:iam::123456789012:mfa/alice";

    #[test]
    fn console_password_without_mfa_is_quarantined() {
        let a = evaluate(
            &rules(MfaAction::Quarantine),
            &alice(),
            &state(true, &[], false),
            &Exemption::None,
        );
        assert_eq!(
            summary(&a),
            (vec![("console-mfa", true)], vec![Fix::AttachQuarantine])
        );
        let finding = serde_json::to_value(&a.findings[0].finding).unwrap();
        assert_eq!(
            finding,
            json!({"rule": "console-mfa", "resource": "arn:aws:iam::123456789012:user/alice",
                   "evidence": "alice can sign in to the console with a password and has no MFA device",
                   "changes": [{"action": "attach-user-policy", "before": null, "after": {"PolicyArn": Q}}],
                   "applied": false, "severity": "high"})
        );
    }

    #[test]
    fn compliant_users() {
        for (state, why) in [
            (state(false, &[], false), "no console password"),
            (state(true, &[DEVICE], false), "has MFA"),
            (
                state(true, &[], true),
                "already quarantined: cannot use the console without MFA",
            ),
            (state(false, &[], true), "quarantined, no password, no MFA"),
        ] {
            let a = evaluate(
                &rules(MfaAction::Quarantine),
                &alice(),
                &state,
                &Exemption::None,
            );
            assert_eq!(summary(&a), (vec![], vec![]), "{why}");
        }
    }

    #[test]
    fn an_mfa_device_lifts_the_quarantine() {
        let a = evaluate(
            &rules(MfaAction::Quarantine),
            &alice(),
            &state(true, &[DEVICE], true),
            &Exemption::None,
        );
        assert_eq!(
            summary(&a),
            (vec![("quarantine-lift", true)], vec![Fix::DetachQuarantine])
        );
        assert_eq!(
            a.findings[0].finding.evidence,
            "alice has an MFA device now (arn:aws:iam::123456789012:mfa/alice), so the quarantine is no longer needed"
        );
        assert_eq!(a.findings[0].finding.severity, Some(Severity::Low));
        assert_eq!(
            serde_json::to_value(&a.findings[0].finding.changes).unwrap(),
            json!([{"action": "detach-user-policy", "before": {"PolicyArn": Q}, "after": null}])
        );
    }

    #[test]
    fn disable_console_deletes_the_login_profile_instead() {
        for quarantined in [false, true] {
            let a = evaluate(
                &rules(MfaAction::DisableConsole),
                &alice(),
                &state(true, &[], quarantined),
                &Exemption::None,
            );
            assert_eq!(
                summary(&a),
                (vec![("console-mfa", true)], vec![Fix::DeleteLoginProfile])
            );
            assert_eq!(
                serde_json::to_value(&a.findings[0].finding.changes).unwrap(),
                json!([{"action": "delete-login-profile", "before": {"ConsoleAccess": true}, "after": {"ConsoleAccess": false}}])
            );
        }
    }

    #[test]
    fn root_is_reported_never_changed() {
        let root = Subject::root("123456789012", "us-east-1");
        let a = evaluate(
            &rules(MfaAction::DisableConsole),
            &root,
            &MfaState::Root,
            &Exemption::None,
        );
        assert_eq!(summary(&a), (vec![("root-console-mfa", false)], vec![]));
        assert_eq!(
            a.findings[0].finding.resource,
            "arn:aws:iam::123456789012:root"
        );
        assert_eq!(a.findings[0].finding.severity, Some(Severity::Critical));
    }

    #[test]
    fn exemptions_switch_off_their_rule() {
        let exempt = Exemption::Rules(vec!["console-mfa".into()]);
        let a = evaluate(
            &rules(MfaAction::Quarantine),
            &alice(),
            &state(true, &[], false),
            &exempt,
        );
        assert_eq!(summary(&a), (vec![], vec![]));
        let a = evaluate(
            &rules(MfaAction::Quarantine),
            &alice(),
            &state(true, &[DEVICE], true),
            &exempt,
        );
        assert_eq!(
            summary(&a).0,
            vec![("quarantine-lift", true)],
            "lifting Warden's own quarantine is a separate rule"
        );
    }

    #[test]
    fn settings() {
        let env = [("WARDEN_QUARANTINE_POLICY_ARN", Q)];
        assert_eq!(
            MfaRules::from_env(&env[..]).unwrap(),
            rules(MfaAction::Quarantine)
        );
        let env = [
            ("WARDEN_QUARANTINE_POLICY_ARN", Q),
            ("WARDEN_MFA_ACTION", "Disable-Console"),
        ];
        assert_eq!(
            MfaRules::from_env(&env[..]).unwrap().action,
            MfaAction::DisableConsole
        );
        let none: [(&str, &str); 0] = [];
        assert_eq!(
            MfaRules::from_env(&none[..]).unwrap_err().to_string(),
            "WARDEN_QUARANTINE_POLICY_ARN is required: mfa-guard attaches this customer-managed policy (the template's MfaQuarantinePolicy) to users without MFA, and detaches it once they have MFA"
        );
        assert_eq!(
            MfaRules::from_env(
                &[
                    ("WARDEN_QUARANTINE_POLICY_ARN", Q),
                    ("WARDEN_MFA_ACTION", "delete")
                ][..]
            )
            .unwrap_err()
            .to_string(),
            r#"WARDEN_MFA_ACTION="delete" is not valid: use one of quarantine, disable-console"#
        );
        for bad in [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:iam::123456789012:policy/",
            "warden-quarantine",
        ] {
            assert!(
                MfaRules::from_env(&[("WARDEN_QUARANTINE_POLICY_ARN", bad)][..])
                    .unwrap_err()
                    .to_string()
                    .starts_with(&format!(
                        "WARDEN_QUARANTINE_POLICY_ARN={bad:?} is not valid"
                    )),
                "{bad}"
            );
        }
        assert!(is_customer_policy_arn(
            "arn:aws-cn:iam::123456789012:policy/security/warden-q"
        ));
    }

    #[test]
    fn user_names() {
        assert!(is_user_name("alice.smith+ops@example.com"));
        assert!(!is_user_name("AWS ROOT USER"));
        assert!(!is_user_name(""));
        assert!(!is_user_name(&"a".repeat(65)));
    }
}
