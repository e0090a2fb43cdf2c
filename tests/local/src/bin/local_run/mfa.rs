//! The mfa-guard part of `warden-local`: an IAM user who can sign in to the
//! console without MFA is quarantined, then released once they enable an MFA
//! device, all against the emulator at `endpoint` and through the real
//! mfa-guard binary on a local Lambda Runtime API.
//!
//! 1. Creates the quarantine policy (the document the template creates) and
//!    a user with a console password, no MFA device and ReadOnlyAccess.
//! 2. Runs mfa-guard on `CreateLoginProfile` in `observe` mode: nothing may
//!    be attached.
//! 3. Runs it again in `remediate` mode: the quarantine policy is attached
//!    and nothing else about the user changes.
//! 4. The user creates and enables a virtual MFA device (what the quarantine
//!    still allows), and mfa-guard runs on `EnableMFADevice`: the quarantine
//!    is lifted.
//!
//! After each step the user is read back with the SDK (attached policies,
//! login profile, MFA devices) and shown in a before/after table; whether
//! each step held is judged from that state, not from the function's answer.

use std::path::Path;

use crate::answer::{Answer, answers};
use aws_sdk_iam::Client;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata};
use serde_json::Value;
use warden_tests::fixtures::GuardEvents;
use warden_tests::{lambda_env, run_function};

/// The user name in the sample events.
const EVENT_USER: &str = "warden-demo-user";

/// The sample events, whose resource name is replaced throughout (names,
/// ARNs, the Host header).
const EVENTS: GuardEvents = GuardEvents {
    guard: "mfa-guard",
    sample: EVENT_USER,
};
/// Warden's own role (the loop guard); the demo events come from others.
const SELF_ARN: &str = "arn:aws:iam::123456789012:role/warden-MfaGuardFunctionRole-1A2B3C4D5E6F";
/// A policy of the user's own, which mfa-guard must leave alone.
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// A user as read back through the SDK.
#[derive(Debug, Clone, PartialEq)]
struct UserView {
    quarantined: bool,
    /// Attached policies other than the quarantine, by ARN.
    other_policies: Vec<String>,
    console_password: bool,
    mfa_devices: Vec<String>,
}

/// One row of the table: what ran, what mfa-guard answered, the user after.
struct Step {
    label: &'static str,
    answer: String,
    view: UserView,
    problems: Vec<String>,
}

pub async fn run(function: &Path, endpoint: &str) -> Result<bool, String> {
    println!("\nmfa-guard: an IAM user with a console password and no MFA");
    println!("function: {}", function.display());
    let config = warden_tests::sdk_config(endpoint).await;
    let iam = Client::new(&config);
    let pid = std::process::id();
    let user = format!("warden-local-no-mfa-{pid}");

    let quarantine = iam
        .create_policy()
        .policy_name(format!("warden-local-mfa-quarantine-{pid}"))
        .policy_document(mfa_guard::quarantine::document("aws", "123456789012").to_string())
        .send()
        .await
        .map_err(|e| format!("CreatePolicy (quarantine): {}", DisplayErrorContext(&e)))?
        .policy()
        .and_then(|p| p.arn())
        .ok_or("CreatePolicy returned no ARN")?
        .to_string();
    iam.create_user()
        .user_name(&user)
        .send()
        .await
        .map_err(|e| format!("CreateUser {user}: {}", DisplayErrorContext(&e)))?;
    iam.attach_user_policy()
        .user_name(&user)
        .policy_arn(READ_ONLY)
        .send()
        .await
        .map_err(|e| {
            format!(
                "AttachUserPolicy ReadOnlyAccess: {}",
                DisplayErrorContext(&e)
            )
        })?;
    iam.create_login_profile()
        .user_name(&user)
        .password("Correct-Horse-Battery-9")
        .password_reset_required(true)
        .send()
        .await
        .map_err(|e| format!("CreateLoginProfile {user}: {}", DisplayErrorContext(&e)))?;
    println!("quarantine policy: {quarantine}");
    println!("user:              {user} (console password, no MFA device, ReadOnlyAccess)");

    let created = EVENTS.read("create-login-profile.json", &user)?;
    let enabled = EVENTS.read("enable-mfa-device.json", &user)?;
    let mut env = lambda_env(endpoint);
    env.extend(
        [
            ("WARDEN_SELF_ARN", SELF_ARN),
            ("WARDEN_QUARANTINE_POLICY_ARN", quarantine.as_str()),
            ("WARDEN_MFA_ACTION", "quarantine"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let with_mode = |mode: &str| {
        let mut env = env.clone();
        env.push(("WARDEN_MODE".into(), mode.into()));
        env
    };

    let before = read_user(&iam, &user, &quarantine).await?;
    let mut steps = vec![Step {
        label: "before",
        answer: "-".into(),
        view: before.clone(),
        problems: vec![],
    }];

    // Observe: the finding is reported, nothing is attached.
    let answer = invoke(function, &with_mode("observe"), &created).await?;
    let view = read_user(&iam, &user, &quarantine).await?;
    let mut problems = answer.problems("observed", &[("console-mfa", false)]);
    if view != before {
        problems.push("observe mode changed the user".into());
    }
    steps.push(Step {
        label: "observe   CreateLoginProfile",
        answer: answer.short(),
        view,
        problems,
    });

    // Remediate: quarantined, and nothing else about the user changes.
    let answer = invoke(function, &with_mode("remediate"), &created).await?;
    let view = read_user(&iam, &user, &quarantine).await?;
    let mut problems = answer.problems("remediated", &[("console-mfa", true)]);
    let quarantined = UserView {
        quarantined: true,
        ..before.clone()
    };
    if view != quarantined {
        problems.push(format!(
            "expected only the quarantine policy added, read back {view:?}"
        ));
    }
    steps.push(Step {
        label: "remediate CreateLoginProfile",
        answer: answer.short(),
        view,
        problems,
    });

    // The user sets up MFA themselves, as the quarantine allows.
    let serial = enable_mfa(&iam, &user).await?;
    let view = read_user(&iam, &user, &quarantine).await?;
    steps.push(Step {
        label: "user enables an MFA device",
        answer: "-".into(),
        view,
        problems: vec![],
    });

    // EnableMFADevice: the quarantine is lifted.
    let answer = invoke(function, &with_mode("remediate"), &enabled).await?;
    let view = read_user(&iam, &user, &quarantine).await?;
    let mut problems = answer.problems("remediated", &[("quarantine-lift", true)]);
    let released = UserView {
        mfa_devices: vec![serial],
        ..before.clone()
    };
    if view != released {
        problems.push(format!(
            "expected the quarantine lifted and the MFA device kept, read back {view:?}"
        ));
    }
    steps.push(Step {
        label: "remediate EnableMFADevice",
        answer: answer.short(),
        view,
        problems,
    });

    print_table(&steps);
    let failures: Vec<String> = steps
        .iter()
        .flat_map(|s| s.problems.iter().map(move |p| format!("{}: {p}", s.label)))
        .collect();
    if failures.is_empty() {
        println!(
            "mfa-guard: PASS: observe attached nothing; remediate quarantined {user} and changed nothing else; \
             EnableMFADevice lifted the quarantine"
        );
        Ok(true)
    } else {
        println!("mfa-guard: FAIL ({} problems):", failures.len());
        for failure in &failures {
            println!("  - {failure}");
        }
        Ok(false)
    }
}

async fn invoke(
    function: &Path,
    env: &[(String, String)],
    event: &Value,
) -> Result<Answer, String> {
    let run = run_function(function, env, std::slice::from_ref(event))
        .await
        .map_err(|e| format!("running mfa-guard: {e}"))?;
    let mode = env
        .iter()
        .rev()
        .find(|(k, _)| k == "WARDEN_MODE")
        .map_or("?", |(_, v)| v);
    Ok(answers(&run, "mfa-guard", 1, mode)?.remove(0))
}

fn print_table(steps: &[Step]) {
    println!(
        "\n  {:<30} {:<38} {:<11} {:<9} {:<4} other policies",
        "step", "mfa-guard answered", "quarantine", "password", "MFA"
    );
    for step in steps {
        let v = &step.view;
        let others: Vec<&str> = v
            .other_policies
            .iter()
            .map(|arn| arn.rsplit('/').next().unwrap_or(arn))
            .collect();
        println!(
            "{} {:<30} {:<38} {:<11} {:<9} {:<4} {}",
            if step.problems.is_empty() { " " } else { "✗" },
            step.label,
            step.answer,
            if v.quarantined { "attached" } else { "-" },
            if v.console_password { "yes" } else { "no" },
            v.mfa_devices.len(),
            others.join(", ")
        );
    }
    println!();
}

async fn read_user(iam: &Client, user: &str, quarantine: &str) -> Result<UserView, String> {
    let attached = iam
        .list_attached_user_policies()
        .user_name(user)
        .send()
        .await
        .map_err(|e| {
            format!(
                "ListAttachedUserPolicies {user}: {}",
                DisplayErrorContext(&e)
            )
        })?;
    let mut other_policies: Vec<String> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .filter(|arn| *arn != quarantine)
        .map(str::to_string)
        .collect();
    other_policies.sort();
    let quarantined = attached
        .attached_policies()
        .iter()
        .any(|p| p.policy_arn() == Some(quarantine));
    let console_password = match iam.get_login_profile().user_name(user).send().await {
        Ok(_) => true,
        Err(e) if e.code() == Some("NoSuchEntity") => false,
        Err(e) => {
            return Err(format!(
                "GetLoginProfile {user}: {}",
                DisplayErrorContext(&e)
            ));
        }
    };
    let mfa_devices = iam
        .list_mfa_devices()
        .user_name(user)
        .send()
        .await
        .map_err(|e| format!("ListMFADevices {user}: {}", DisplayErrorContext(&e)))?
        .mfa_devices()
        .iter()
        .map(|d| d.serial_number().to_string())
        .collect();
    Ok(UserView {
        quarantined,
        other_policies,
        console_password,
        mfa_devices,
    })
}

/// Creates and enables a virtual MFA device for `user`; returns its serial.
async fn enable_mfa(iam: &Client, user: &str) -> Result<String, String> {
    let serial = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(format!("{user}-phone"))
        .send()
        .await
        .map_err(|e| format!("CreateVirtualMFADevice: {}", DisplayErrorContext(&e)))?
        .virtual_mfa_device()
        .map(|d| d.serial_number().to_string())
        .ok_or("CreateVirtualMFADevice returned no device")?;
    iam.enable_mfa_device()
        .user_name(user)
        .serial_number(&serial)
        .authentication_code1("123456")
        .authentication_code2("654321")
        .send()
        .await
        .map_err(|e| format!("EnableMFADevice: {}", DisplayErrorContext(&e)))?;
    Ok(serial)
}
