//! Rules as units: each rule is a value with a name, a severity, the path it
//! runs on, the AWS calls its check reads and its fix makes, a pure check
//! and a pure fix.
//!
//! A guard writes each rule as a [`RuleSpec`] (typed: the check hands what it
//! found to the fix) and lists them as [`Rule`] objects. The framework
//! ([`assess`]) does the rest once for every rule: it leaves out the rules an
//! exemption switches off and the event-only rules on the resource path,
//! turns each finding's fix into the guard's plan, and marks what the plan
//! could not carry.

use crate::error::AwsCall;
use crate::exempt::Exemption;
use crate::guard::{Guard, Input};
use crate::outcome::{Change, Finding, Severity};
use serde_json::Value;

/// Which checks a rule runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display)]
#[strum(serialize_all = "lowercase")]
pub enum Scope {
    /// A property of the resource as it is: checked on an event and on a
    /// sweep alike.
    Standing,
    /// Needs what an event proves (a `StopLogging` proves the trail was
    /// logging; a `DeleteTrail` that it was deleted): event path only.
    Event,
}

/// The AWS calls a rule needs: what its check reads, what its fix makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calls {
    pub reads: &'static [AwsCall],
    pub fixes: &'static [AwsCall],
}

impl Calls {
    /// No calls: a rule that reports what the event or the state read for
    /// every rule already shows, and fixes nothing itself.
    pub const NONE: Calls = Calls::reads(&[]);

    /// The calls of a check that reads `reads`; [`Calls::fixes`] adds what
    /// its fix makes.
    pub const fn reads(reads: &'static [AwsCall]) -> Self {
        Self { reads, fixes: &[] }
    }

    pub const fn fixes(self, fixes: &'static [AwsCall]) -> Self {
        Self {
            reads: self.reads,
            fixes,
        }
    }
}

/// What a rule is, beside its check and fix: its name, its severity, the
/// path it runs on and the AWS calls it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// As it appears in findings, metrics and exemption tags.
    pub name: &'static str,
    pub severity: Severity,
    pub scope: Scope,
    pub calls: Calls,
}

impl Meta {
    /// A rule that stands on the resource's state: events and sweeps.
    pub const fn standing(name: &'static str, severity: Severity, calls: Calls) -> Self {
        Self {
            name,
            severity,
            scope: Scope::Standing,
            calls,
        }
    }

    /// A rule only an event can prove: the event path only.
    pub const fn event(name: &'static str, severity: Severity, calls: Calls) -> Self {
        Self {
            name,
            severity,
            scope: Scope::Event,
            calls,
        }
    }
}

/// What a check found on one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<T> {
    /// What inside the resource it is about (a tag key), for rules that can
    /// fire several times on one resource. Read-back confirmation matches
    /// findings by rule, resource and subject.
    pub subject: Option<String>,
    /// What was seen, masked wherever it could hold a secret.
    pub evidence: String,
    /// A grade of its own where the rule's severity does not fit.
    pub severity: Option<Severity>,
    /// Detector ids behind the finding, where detectors found it.
    pub detectors: Vec<String>,
    /// What the fix needs.
    pub detail: T,
}

impl<T> Found<T> {
    pub fn new(evidence: impl Into<String>, detail: T) -> Self {
        Self {
            subject: None,
            evidence: evidence.into(),
            severity: None,
            detectors: vec![],
            detail,
        }
    }

    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn graded(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    pub fn by(mut self, detectors: Vec<String>) -> Self {
        self.detectors = detectors;
        self
    }
}

/// What a fix does about a finding.
#[derive(Debug, Clone, PartialEq)]
pub enum Remedy<F> {
    /// Make these changes (shown in the outcome) with this typed fix.
    Fix { changes: Vec<Change>, fix: F },
    /// The change must not be made automatically, and why; `changes` shows
    /// what a person would do, where Warden can say.
    Manual { changes: Vec<Change>, why: String },
}

impl<F> Remedy<F> {
    /// One change, made by `fix`: what most rules' fixes come to.
    pub fn one(fix: F, action: &str, before: Value, after: Value) -> Self {
        Remedy::Fix {
            changes: vec![Change::new(action, before, after)],
            fix,
        }
    }

    pub fn manual(why: impl Into<String>) -> Self {
        Remedy::Manual {
            changes: vec![],
            why: why.into(),
        }
    }
}

/// A rule as its author writes it: metadata, a pure check, a pure fix.
pub trait RuleSpec<G: Guard>: Sync + 'static {
    /// What the check hands to the fix.
    type Found;
    const META: Meta;

    fn check(&self, guard: &G, input: &Input<'_, G>) -> Vec<Found<Self::Found>>;

    fn fix(&self, guard: &G, input: &Input<'_, G>, found: &Self::Found) -> Remedy<G::Fix>;
}

/// A rule as the framework runs it.
pub trait Rule<G: Guard>: Sync {
    fn name(&self) -> &'static str;
    fn severity(&self) -> Severity;
    fn scope(&self) -> Scope;
    fn calls(&self) -> Calls;
    /// The check, with each finding's fix.
    fn evaluate(&self, guard: &G, input: &Input<'_, G>) -> Vec<Violation<G::Fix>>;
}

/// A finding and its fix, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation<F> {
    pub finding: Finding,
    pub subject: Option<String>,
    pub fix: Result<F, String>,
}

impl<G: Guard, R: RuleSpec<G>> Rule<G> for R {
    fn name(&self) -> &'static str {
        R::META.name
    }

    fn severity(&self) -> Severity {
        R::META.severity
    }

    fn scope(&self) -> Scope {
        R::META.scope
    }

    fn calls(&self) -> Calls {
        R::META.calls
    }

    fn evaluate(&self, guard: &G, input: &Input<'_, G>) -> Vec<Violation<G::Fix>> {
        self.check(guard, input)
            .into_iter()
            .map(|found| {
                let (changes, fix) = match self.fix(guard, input, &found.detail) {
                    Remedy::Fix { changes, fix } => (changes, Ok(fix)),
                    Remedy::Manual { changes, why } => (changes, Err(why)),
                };
                let mut finding = Finding::new(R::META.name, input.arn(), found.evidence, changes)
                    .with_severity(found.severity.unwrap_or(R::META.severity));
                finding.detectors = found.detectors;
                Violation {
                    finding,
                    subject: found.subject,
                    fix,
                }
            })
            .collect()
    }
}

/// A finding and, when its fix will not be made automatically, why.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub finding: Finding,
    pub subject: Option<String>,
    pub blocked: Option<String>,
}

impl Planned {
    /// The same finding: same rule, resource and subject.
    pub fn same_as(&self, other: &Planned) -> bool {
        self.finding.rule == other.finding.rule
            && self.finding.resource == other.finding.resource
            && self.subject == other.subject
    }
}

/// One target's findings and the plan that fixes what can be fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment<P> {
    pub findings: Vec<Planned>,
    pub plan: P,
}

impl<P> Assessment<P> {
    /// True when at least one finding's fix is in the plan.
    pub fn has_fixes(&self) -> bool {
        self.findings.iter().any(|p| p.blocked.is_none())
    }
}

/// Runs every rule in force on one target and plans the fixes: the one
/// place exemptions and scopes are applied.
pub fn assess<G: Guard>(
    guard: &G,
    input: &Input<'_, G>,
    exemption: &Exemption,
) -> Assessment<G::Plan> {
    assess_holding(guard, input, exemption, &|_| None)
}

/// [`assess`], with the fixes of the rules `held` names kept out of the
/// plan for the reason it gives (a circuit breaker, a CloudFormation
/// change): their findings are reported, not fixed.
pub fn assess_holding<G: Guard>(
    guard: &G,
    input: &Input<'_, G>,
    exemption: &Exemption,
    held: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Assessment<G::Plan> {
    let violations: Vec<Violation<G::Fix>> = guard
        .rules()
        .iter()
        .filter(|rule| !exemption.covers(rule.name()))
        .filter(|rule| rule.scope() == Scope::Standing || input.evidence.is_some())
        .flat_map(|rule| rule.evaluate(guard, input))
        .map(|mut violation| {
            if let (Ok(_), Some(why)) = (&violation.fix, held(&violation.finding.rule)) {
                violation.fix = Err(why);
            }
            violation
        })
        .collect();
    let fixable: Vec<usize> = (0..violations.len())
        .filter(|&i| violations[i].fix.is_ok())
        .collect();
    let fixes: Vec<&G::Fix> = fixable
        .iter()
        .filter_map(|&i| violations[i].fix.as_ref().ok())
        .collect();
    let composed = guard.plan(input, &fixes);
    let mut findings: Vec<Planned> = violations
        .into_iter()
        .map(|v| Planned {
            finding: v.finding,
            subject: v.subject,
            blocked: v.fix.err(),
        })
        .collect();
    for (index, why) in composed.held {
        if let Some(planned) = fixable.get(index).and_then(|&i| findings.get_mut(i)) {
            planned.blocked = Some(why);
        }
    }
    Assessment {
        findings,
        plan: composed.plan,
    }
}
