//! mfa-guard's rules, each a unit: a pure check over what was read of the
//! subject and a pure fix.
//!
//! | rule | severity | runs on | fix |
//! | --- | --- | --- | --- |
//! | `console-mfa` | high | events and sweeps | attach the quarantine policy, or (`MfaAction=disable-console`) delete the login profile |
//! | `quarantine-lift` | low | events and sweeps | detach the quarantine policy |
//! | `root-console-mfa` | critical | events only: a sign-in proves it | none: Warden cannot change root |
//!
//! `console-mfa` is two units, one per `MfaAction`, because what it fixes
//! (and the call its fix makes) differs; [`crate::MfaGuard`] runs the one
//! its setting names.

use crate::calls::{
    ATTACH_POLICY, DELETE_LOGIN_PROFILE, DETACH_POLICY, GET_LOGIN_PROFILE, LIST_ATTACHED_POLICIES,
    LIST_MFA_DEVICES,
};
use crate::subject::{Evidence, Fix, MfaState, Subject, User, UserState};
use crate::{MfaGuard, rule};
use serde_json::{Value, json};
use warden_shared::{Calls, Found, Input, Meta, Remedy, Rule, RuleSpec, Severity};

/// The rules with `MfaAction=quarantine` (the default), in the order
/// findings are reported.
pub static QUARANTINE: [&dyn Rule<MfaGuard>; 3] =
    [&ConsoleMfaQuarantine, &QuarantineLift, &RootConsoleMfa];

/// The rules with `MfaAction=disable-console`.
pub static DISABLE_CONSOLE: [&dyn Rule<MfaGuard>; 3] =
    [&ConsoleMfaDisableConsole, &QuarantineLift, &RootConsoleMfa];

/// The user and their state, when the subject is a user.
fn user_of<'a>(input: &Input<'a, MfaGuard>) -> Option<(&'a User, &'a UserState)> {
    match (input.target, input.state) {
        (Subject::User(user), MfaState::User(state)) => Some((user, state)),
        _ => None,
    }
}

/// The user and their state, when the subject is a user who can sign in to
/// the console with a password and has no MFA device.
fn console_without_mfa<'a>(input: &Input<'a, MfaGuard>) -> Option<(&'a User, &'a UserState)> {
    user_of(input).filter(|(_, state)| state.console_password && state.mfa_devices.is_empty())
}

fn console_evidence(user: &User) -> String {
    format!(
        "{} can sign in to the console with a password and has no MFA device",
        user.name
    )
}

fn quarantine_policy(guard: &MfaGuard) -> Value {
    json!({"PolicyArn": guard.quarantine_policy_arn})
}

/// `console-mfa` with `MfaAction=quarantine`: a user with a console password
/// and no MFA device is quarantined. A quarantined user cannot use the
/// console without MFA, so the rule holds until they set MFA up.
pub struct ConsoleMfaQuarantine;

impl RuleSpec<MfaGuard> for ConsoleMfaQuarantine {
    type Found = ();
    /// The attached policies say whether the user is quarantined already.
    const META: Meta = Meta::standing(
        rule::CONSOLE_MFA,
        Severity::High,
        Calls::reads(&[GET_LOGIN_PROFILE, LIST_MFA_DEVICES, LIST_ATTACHED_POLICIES])
            .fixes(&[ATTACH_POLICY]),
    );

    fn check(&self, _: &MfaGuard, input: &Input<'_, MfaGuard>) -> Vec<Found<()>> {
        match console_without_mfa(input) {
            Some((user, state)) if !state.quarantined => {
                vec![Found::new(console_evidence(user), ())]
            }
            _ => vec![],
        }
    }

    fn fix(&self, guard: &MfaGuard, _: &Input<'_, MfaGuard>, _: &()) -> Remedy<Fix> {
        Remedy::one(
            Fix::AttachQuarantine,
            "attach-user-policy",
            Value::Null,
            quarantine_policy(guard),
        )
    }
}

/// `console-mfa` with `MfaAction=disable-console`: the console password of
/// a user without an MFA device is deleted, quarantined or not.
pub struct ConsoleMfaDisableConsole;

impl RuleSpec<MfaGuard> for ConsoleMfaDisableConsole {
    type Found = ();
    const META: Meta = Meta::standing(
        rule::CONSOLE_MFA,
        Severity::High,
        Calls::reads(&[GET_LOGIN_PROFILE, LIST_MFA_DEVICES]).fixes(&[DELETE_LOGIN_PROFILE]),
    );

    fn check(&self, _: &MfaGuard, input: &Input<'_, MfaGuard>) -> Vec<Found<()>> {
        console_without_mfa(input)
            .map(|(user, _)| Found::new(console_evidence(user), ()))
            .into_iter()
            .collect()
    }

    fn fix(&self, _: &MfaGuard, _: &Input<'_, MfaGuard>, _: &()) -> Remedy<Fix> {
        Remedy::one(
            Fix::DeleteLoginProfile,
            "delete-login-profile",
            json!({"ConsoleAccess": true}),
            json!({"ConsoleAccess": false}),
        )
    }
}

/// `quarantine-lift`: a quarantined user who now has an MFA device is
/// released. Lifting Warden's own quarantine is a rule of its own, so an
/// exemption from `console-mfa` does not keep a user quarantined.
pub struct QuarantineLift;

impl RuleSpec<MfaGuard> for QuarantineLift {
    type Found = ();
    const META: Meta = Meta::standing(
        rule::QUARANTINE_LIFT,
        Severity::Low,
        Calls::reads(&[LIST_ATTACHED_POLICIES, LIST_MFA_DEVICES]).fixes(&[DETACH_POLICY]),
    );

    fn check(&self, _: &MfaGuard, input: &Input<'_, MfaGuard>) -> Vec<Found<()>> {
        let Some((user, state)) =
            user_of(input).filter(|(_, state)| state.quarantined && !state.mfa_devices.is_empty())
        else {
            return vec![];
        };
        let evidence = format!(
            "{} has an MFA device now ({}), so the quarantine is no longer needed",
            user.name,
            state.mfa_devices.join(", ")
        );
        vec![Found::new(evidence, ())]
    }

    fn fix(&self, guard: &MfaGuard, _: &Input<'_, MfaGuard>, _: &()) -> Remedy<Fix> {
        Remedy::one(
            Fix::DetachQuarantine,
            "detach-user-policy",
            quarantine_policy(guard),
            Value::Null,
        )
    }
}

/// `root-console-mfa`: the root user signed in to the console without MFA.
/// Only the sign-in proves it (Warden reads nothing about root), so it runs
/// on the event path only; it is reported, never fixed.
pub struct RootConsoleMfa;

impl RuleSpec<MfaGuard> for RootConsoleMfa {
    type Found = ();
    const META: Meta = Meta::event(rule::ROOT_CONSOLE_MFA, Severity::Critical, Calls::NONE);

    fn check(&self, _: &MfaGuard, input: &Input<'_, MfaGuard>) -> Vec<Found<()>> {
        match (input.target, input.evidence) {
            (Subject::Root { account, .. }, Some(Evidence::SignInWithoutMfa)) => {
                vec![Found::new(
                    format!(
                        "the root user of account {account} signed in to the console without MFA"
                    ),
                    (),
                )]
            }
            _ => vec![],
        }
    }

    fn fix(&self, _: &MfaGuard, _: &Input<'_, MfaGuard>, _: &()) -> Remedy<Fix> {
        Remedy::manual(
            "Warden cannot change the root user: sign in as root and assign an MFA device under Security credentials",
        )
    }
}
