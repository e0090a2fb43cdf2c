//! What a check leaves behind: the exemption a resource's tag grants, and
//! each finding logged, counted, published and delivered to the sinks.

use super::Pipeline;
use crate::config::Mode;
use crate::error::GuardError;
use crate::exempt::{Exemption, Ignored};
use crate::guard::Guard;
use crate::outcome::{Checked, Status};
use crate::record::{Context, FindingRecord, metric_line};
use crate::sinks::Delivery;
use std::time::{SystemTime, UNIX_EPOCH};

impl<G: Guard> Pipeline<G> {
    pub(super) fn exemption(&self, arn: &str, tags: &[(String, String)]) -> Exemption {
        let Some((_, value)) = tags
            .iter()
            .find(|(key, _)| *key == self.config.exemption_tag)
        else {
            return Exemption::None;
        };
        match Exemption::from_tag(value, crate::exempt::today()) {
            Ok(exemption) => exemption,
            Err(Ignored::Expired(until)) => {
                tracing::info!(guard = G::NAME, resource = arn, %until, "exemption expired; enforcing every rule");
                Exemption::None
            }
            Err(Ignored::Unreadable(why)) => {
                tracing::warn!(
                    guard = G::NAME,
                    resource = arn,
                    why,
                    "exemption tag not understood; enforcing every rule"
                );
                Exemption::None
            }
        }
    }

    /// Logs each finding, prints its metric, (outside `observe` mode)
    /// publishes it to the topic, and delivers the check to the findings
    /// sinks (in every mode: see [`crate::sinks`]); each finding carries its
    /// own resource's status. SNS and the sinks are called concurrently; any
    /// failure fails the invocation, so Lambda retries the event.
    pub(super) async fn record(
        &self,
        checked: &[Checked],
        context: &Context,
    ) -> Result<(), GuardError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let records: Vec<FindingRecord<'_>> = checked
            .iter()
            .flat_map(|c| {
                c.findings.iter().map(|finding| {
                    let outcome = (c.status, c.reason.as_deref());
                    FindingRecord::new(G::NAME, finding, context, self.config.mode, outcome)
                })
            })
            .collect();
        for record in &records {
            tracing::warn!(
                guard = G::NAME,
                rule = record.rule,
                resource = record.resource,
                outcome = %record.outcome,
                finding = %serde_json::to_string(record).unwrap_or_default(),
                "finding"
            );
            println!(
                "{}",
                metric_line(G::NAME, record.rule, record.outcome, now_ms)
            );
        }
        let sns = async {
            if let (Some(notifier), true) = (&self.notifier, self.config.mode != Mode::Observe) {
                futures::future::try_join_all(
                    records.iter().map(|record| notifier.publish(record)),
                )
                .await?;
            }
            Ok::<(), GuardError>(())
        };
        let sinks = async {
            let Some(sinks) = &self.sinks else {
                return Ok(());
            };
            // The rules that stand on a resource's state and found nothing
            // on it: each resource that was read and evaluated. Event-only
            // rules prove nothing by their silence, nor do rules an
            // exemption tag or a rollback's suppression kept from running
            // (their findings stay as they were).
            let standing: Vec<&str> = self
                .guard
                .rules()
                .iter()
                .filter(|rule| rule.scope() == crate::rule::Scope::Standing)
                .map(|rule| rule.name())
                .collect();
            let passed: Vec<(&str, Vec<&str>)> = checked
                .iter()
                .filter(|c| c.status != Status::Skipped)
                .map(|c| {
                    let held = standing
                        .iter()
                        .copied()
                        .filter(|rule| !c.findings.iter().any(|f| f.rule == *rule))
                        .filter(|rule| !c.unassessed.iter().any(|u| u == rule))
                        .collect();
                    (c.resource.as_str(), held)
                })
                .collect();
            let gone: Vec<&str> = checked
                .iter()
                .filter(|c| c.is_gone())
                .map(|c| c.resource.as_str())
                .collect();
            if records.is_empty() && gone.is_empty() && passed.iter().all(|(_, r)| r.is_empty()) {
                return Ok(());
            }
            sinks
                .deliver(&Delivery {
                    guard: G::NAME,
                    account: &context.account,
                    region: &context.region,
                    records: &records,
                    passed: &passed,
                    gone: &gone,
                })
                .await
        };
        futures::future::try_join(sns, sinks).await?;
        Ok(())
    }
}
