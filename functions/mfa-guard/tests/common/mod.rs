//! Fixtures shared by the emulator and runtime-loop suites: the event files,
//! how to seed the IAM user for each, the exact outcome each must produce,
//! and an independent read-back of the user through the SDK.
#![allow(dead_code)]

use aws_config::SdkConfig;
use aws_sdk_iam::Client;
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::Tag;
use serde_json::{Value, json};
use warden_tests::fixtures::{self, GuardEvents, unique};

pub const ACCOUNT: &str = "123456789012";
pub const SELF_ROLE: &str =
    "arn:aws:iam::123456789012:role/warden-MfaGuardFunctionRole-1A2B3C4D5E6F";
/// An AWS-managed policy every seeded user also has, to show that mfa-guard
/// leaves a user's own policies alone (moto loads these with
/// `MOTO_IAM_LOAD_MANAGED_POLICIES=true`).
pub const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
/// The user name in the sample events; tests substitute their own.
pub const EVENT_USER: &str = "warden-demo-user";

pub const EVENTS: GuardEvents = GuardEvents {
    guard: "mfa-guard",
    sample: EVENT_USER,
};

/// An event file with the sample user name replaced by `user` (in
/// `userName`, ARNs and device serial numbers alike).
pub fn event(file: &str, user: &str) -> Value {
    EVENTS.load(file, user)
}

pub fn outcome(event: &Value, status: &str, reason: Option<&str>, findings: Vec<Value>) -> Value {
    fixtures::outcome("mfa-guard", event, status, reason, findings)
}

pub struct Emulator {
    pub endpoint: String,
    pub config: SdkConfig,
    pub iam: Client,
    /// A quarantine policy created for this test, with the real document.
    pub quarantine: String,
}

pub async fn emulator() -> Emulator {
    let endpoint = warden_tests::moto().endpoint().to_string();
    let config = warden_tests::aws::sdk_config(&endpoint).await;
    let iam = Client::new(&config);
    let quarantine = create_quarantine_policy(&iam, &unique("quarantine")).await;
    Emulator {
        endpoint,
        config,
        iam,
        quarantine,
    }
}

/// Creates the quarantine policy (the document the template creates) and
/// returns its ARN.
pub async fn create_quarantine_policy(iam: &Client, name: &str) -> String {
    let document = mfa_guard::quarantine::document("aws", ACCOUNT);
    iam.create_policy()
        .policy_name(name)
        .policy_document(document.to_string())
        .send()
        .await
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn())
        .expect("a policy ARN")
        .to_string()
}

pub fn user_arn(user: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{user}")
}

/// The virtual MFA device a seeded user gets, as named in the sample events.
pub fn device_name(user: &str) -> String {
    format!("{user}-phone")
}

pub fn device_arn(user: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:mfa/{}", device_name(user))
}

// ---- seeding -------------------------------------------------------------

/// The user an event is about, before the event runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    /// A login profile (console password).
    pub password: bool,
    /// An enabled virtual MFA device.
    pub mfa: bool,
    /// The quarantine policy attached.
    pub quarantined: bool,
}

/// A user who can sign in to the console and has no MFA: the violation.
pub const NO_MFA: Seed = Seed {
    password: true,
    mfa: false,
    quarantined: false,
};
/// A quarantined user who has just enabled an MFA device.
pub const MFA_AND_QUARANTINED: Seed = Seed {
    password: true,
    mfa: true,
    quarantined: true,
};
pub const WITH_MFA: Seed = Seed {
    password: true,
    mfa: true,
    quarantined: false,
};
pub const NO_PASSWORD: Seed = Seed {
    password: false,
    mfa: false,
    quarantined: false,
};

/// Creates `user` as `seed` says, with ReadOnlyAccess attached and a tag,
/// which mfa-guard must never touch.
pub async fn seed(emu: &Emulator, user: &str, seed: Seed) {
    let iam = &emu.iam;
    iam.create_user()
        .user_name(user)
        .tags(Tag::builder().key("team").value("data").build().unwrap())
        .send()
        .await
        .expect("CreateUser");
    iam.attach_user_policy()
        .user_name(user)
        .policy_arn(READ_ONLY)
        .send()
        .await
        .expect("AttachUserPolicy ReadOnlyAccess");
    if seed.password {
        iam.create_login_profile()
            .user_name(user)
            .password("Correct-Horse-Battery-9")
            .password_reset_required(true)
            .send()
            .await
            .expect("CreateLoginProfile");
    }
    if seed.mfa {
        enable_mfa(iam, user).await;
    }
    if seed.quarantined {
        iam.attach_user_policy()
            .user_name(user)
            .policy_arn(&emu.quarantine)
            .send()
            .await
            .expect("AttachUserPolicy quarantine");
    }
}

/// Creates and enables the user's virtual MFA device, as the user would.
/// Seeds the case's user under a fresh name and returns (user, event,
/// state before); no state when the case seeds nothing.
pub async fn prepare(emu: &Emulator, case: &Case, tag: &str) -> (String, Value, Option<View>) {
    let user = unique(tag);
    let event = event(case.file, &user);
    let before = match case.seed {
        Some(s) => {
            seed(emu, &user, s).await;
            Some(view(&emu.iam, &user).await)
        }
        None => None,
    };
    (user, event, before)
}

pub async fn enable_mfa(iam: &Client, user: &str) {
    let serial = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(device_name(user))
        .send()
        .await
        .expect("CreateVirtualMFADevice")
        .virtual_mfa_device()
        .map(|d| d.serial_number().to_string())
        .expect("a device");
    assert_eq!(serial, device_arn(user));
    iam.enable_mfa_device()
        .user_name(user)
        .serial_number(serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .expect("EnableMFADevice");
}

pub async fn tag(iam: &Client, user: &str, key: &str, value: &str) {
    iam.tag_user()
        .user_name(user)
        .tags(Tag::builder().key(key).value(value).build().unwrap())
        .send()
        .await
        .expect("TagUser");
}

// ---- reading back ----------------------------------------------------------

/// A user as the SDK reports it, independent of the guard's own adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// Attached managed policy ARNs, sorted.
    pub attached: Vec<String>,
    pub login_profile: bool,
    pub mfa_devices: Vec<String>,
    pub tags: Vec<(String, String)>,
}

pub async fn view(iam: &Client, user: &str) -> View {
    let mut attached: Vec<String> = iam
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .expect("ListAttachedUserPolicies")
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    attached.sort();
    let login_profile = match iam.get_login_profile().user_name(user).send().await {
        Ok(_) => true,
        Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("NoSuchEntity") => false,
        Err(e) => panic!("GetLoginProfile {user}: {e:?}"),
    };
    let mfa_devices = iam
        .list_mfa_devices()
        .user_name(user)
        .send()
        .await
        .expect("ListMFADevices")
        .mfa_devices()
        .iter()
        .map(|d| d.serial_number().to_string())
        .collect();
    let tags = iam
        .list_user_tags()
        .user_name(user)
        .send()
        .await
        .expect("ListUserTags")
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    View {
        attached,
        login_profile,
        mfa_devices,
        tags,
    }
}

impl View {
    pub fn with_quarantine(mut self, quarantine: &str, on: bool) -> Self {
        self.attached.retain(|p| p != quarantine);
        if on {
            self.attached.push(quarantine.to_string());
        }
        self.attached.sort();
        self
    }
}

// ---- expected outcomes --------------------------------------------------------

pub fn console_mfa_finding(user: &str, quarantine: &str, applied: bool) -> Value {
    json!({"rule": "console-mfa", "resource": user_arn(user),
           "evidence": format!("{user} can sign in to the console with a password and has no MFA device"),
           "changes": [{"action": "attach-user-policy", "before": null, "after": {"PolicyArn": quarantine}}],
           "applied": applied, "severity": "high"})
}

pub fn lift_finding(user: &str, quarantine: &str, applied: bool) -> Value {
    json!({"rule": "quarantine-lift", "resource": user_arn(user),
           "evidence": format!("{user} has an MFA device now ({}), so the quarantine is no longer needed", device_arn(user)),
           "changes": [{"action": "detach-user-policy", "before": {"PolicyArn": quarantine}, "after": null}],
           "applied": applied, "severity": "low"})
}

pub fn root_finding() -> Value {
    json!({"rule": "root-console-mfa", "resource": format!("arn:aws:iam::{ACCOUNT}:root"),
           "evidence": format!("the root user of account {ACCOUNT} signed in to the console without MFA"),
           "changes": [], "applied": false, "severity": "critical"})
}

pub const ROOT_BLOCKED: &str = "Warden cannot change the root user: sign in as root and assign an MFA device under Security credentials";

/// What the test knows when it states an expectation.
pub struct Ctx<'a> {
    pub user: &'a str,
    pub event: &'a Value,
    pub quarantine: &'a str,
}

/// One event file: how its user is seeded (`None`: no user at all) and what
/// must come out in `remediate` mode with the default settings.
pub struct Case {
    pub file: &'static str,
    pub seed: Option<Seed>,
    /// The outcome, with findings `applied` as remediation confirms them.
    pub expect: fn(&Ctx) -> Value,
    /// Whether the quarantine policy is attached afterwards (`None`: no user).
    pub quarantined_after: Option<bool>,
}

fn skipped(reason: String) -> impl Fn(&Ctx) -> Value {
    move |c: &Ctx| outcome(c.event, "skipped", Some(&reason), vec![])
}

/// The table every suite runs: one case per file in `events/mfa-guard`.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            file: "console-login-without-mfa.json",
            seed: Some(NO_MFA),
            expect: |c| {
                outcome(
                    c.event,
                    "remediated",
                    None,
                    vec![console_mfa_finding(c.user, c.quarantine, true)],
                )
            },
            quarantined_after: Some(true),
        },
        Case {
            file: "console-login-root-without-mfa.json",
            seed: None,
            expect: |c| {
                outcome(
                    c.event,
                    "notified",
                    Some(ROOT_BLOCKED),
                    vec![root_finding()],
                )
            },
            quarantined_after: None,
        },
        Case {
            file: "console-login-failed.json",
            seed: Some(NO_MFA),
            expect: |c| {
                skipped(
                    "the sign-in did not succeed (Failed authentication), so nobody signed in"
                        .into(),
                )(c)
            },
            quarantined_after: Some(false),
        },
        Case {
            file: "console-login-with-mfa.json",
            seed: Some(WITH_MFA),
            expect: |c| skipped(format!("{} signed in with MFA", user_arn(c.user)))(c),
            quarantined_after: Some(false),
        },
        Case {
            file: "console-login-saml.json",
            seed: None,
            expect: |c| {
                skipped("a SAML-federated sign-in through arn:aws:iam::123456789012:saml-provider/Okta (arn:aws:sts::123456789012:assumed-role/OktaAdmin/dana): MFA for federated users is enforced by the identity provider, and the session has no IAM user or console password to check".into())(c)
            },
            quarantined_after: None,
        },
        Case {
            file: "console-login-identity-center.json",
            seed: None,
            expect: |c| {
                skipped("an IAM Identity Center sign-in (arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/dana): MFA for these users is set in IAM Identity Center, and the session has no IAM user or console password to check".into())(c)
            },
            quarantined_after: None,
        },
        Case {
            file: "console-login-assumed-role.json",
            seed: None,
            expect: |c| {
                skipped("an assumed-role session signed in (arn:aws:sts::123456789012:assumed-role/BreakGlassConsole/erin): a role has no console password or MFA device of its own to check".into())(c)
            },
            quarantined_after: None,
        },
        Case {
            file: "create-login-profile.json",
            seed: Some(NO_MFA),
            expect: |c| {
                outcome(
                    c.event,
                    "remediated",
                    None,
                    vec![console_mfa_finding(c.user, c.quarantine, true)],
                )
            },
            quarantined_after: Some(true),
        },
        Case {
            file: "update-login-profile.json",
            seed: Some(NO_MFA),
            expect: |c| {
                outcome(
                    c.event,
                    "remediated",
                    None,
                    vec![console_mfa_finding(c.user, c.quarantine, true)],
                )
            },
            quarantined_after: Some(true),
        },
        Case {
            file: "deactivate-mfa-device.json",
            seed: Some(NO_MFA),
            expect: |c| {
                outcome(
                    c.event,
                    "remediated",
                    None,
                    vec![console_mfa_finding(c.user, c.quarantine, true)],
                )
            },
            quarantined_after: Some(true),
        },
        Case {
            file: "delete-virtual-mfa-device.json",
            seed: Some(NO_MFA),
            expect: |c| {
                outcome(
                    c.event,
                    "remediated",
                    None,
                    vec![console_mfa_finding(c.user, c.quarantine, true)],
                )
            },
            quarantined_after: Some(true),
        },
        Case {
            file: "delete-virtual-mfa-device-by-role.json",
            seed: Some(NO_MFA),
            expect: |c| {
                skipped(format!(
                    "DeleteVirtualMFADevice names only the device ({}), and IAM deletes only a device no user has: the user who lost it was named by the DeactivateMFADevice event before it, which mfa-guard checks; the caller (arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice) is not an IAM user to re-check",
                    device_arn(c.user)
                ))(c)
            },
            quarantined_after: Some(false),
        },
        Case {
            file: "enable-mfa-device.json",
            seed: Some(MFA_AND_QUARANTINED),
            expect: |c| {
                outcome(
                    c.event,
                    "remediated",
                    None,
                    vec![lift_finding(c.user, c.quarantine, true)],
                )
            },
            quarantined_after: Some(false),
        },
        Case {
            file: "enable-mfa-device-root.json",
            seed: None,
            expect: |c| {
                skipped("EnableMFADevice on the root user's own MFA device: root is not an IAM user; mfa-guard reports root when it signs in without MFA".into())(c)
            },
            quarantined_after: None,
        },
    ]
}

/// The settings a case runs with: `mode`, Warden's own role, the quarantine
/// policy, and any extras.
pub fn settings(mode: &str, quarantine: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut own = vec![("WARDEN_QUARANTINE_POLICY_ARN", quarantine)];
    own.extend_from_slice(extra);
    fixtures::settings(mode, SELF_ROLE, &own)
}
