//! What mfa-guard checks and changes: the subject an event is about (an IAM
//! user or the root user), what the rules read of it, what the event proves,
//! and the fixes and writes.

use warden_shared::Resource;

/// Who a check is about.
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
}

impl Resource for Subject {
    fn arn(&self) -> &str {
        match self {
            Subject::User(user) => &user.arn,
            Subject::Root { arn, .. } => arn,
        }
    }
}

/// IAM user names: 1-64 of letters, digits and `+=,.@_-`.
pub fn is_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// What the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaState {
    User(UserState),
    /// The root user: Warden reads nothing about it (the sign-in is the
    /// evidence).
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

/// What an event proves beyond the subject's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// An IAM call on a user's login profile or MFA devices.
    IamCall,
    /// A console sign-in without MFA (for an IAM user, or one whose record
    /// does not say; for root, only one whose record says `MFAUsed: No`).
    SignInWithoutMfa,
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
