//! Claims on deliveries: at most one invocation handles an event (or a
//! sweep's resource), and a handled one is answered from its claim.

use super::items::{n, s};
use super::*;

impl StateTable {
    /// Claims a delivery (`key` from [`claim_key`]) with a conditional
    /// write: it succeeds only for the first delivery, or over a claim that
    /// expired or was left by an invocation that died.
    pub async fn claim(&self, key: &str) -> Result<Claim, GuardError> {
        let now = now_ms();
        let expires = (now + i64::from(self.settings.claim_days) * DAY_MS) / 1000;
        let put = self
            .put(key, "claim")
            .item("state", s("in-progress"))
            .item("claimed_at", s(&format_time(now)))
            .item("claimed_ms", n(now))
            .item("expires_at", n(expires))
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now_s \
                 OR (#state = :progress AND claimed_ms < :stale)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now_s", n(now / 1000))
            .expression_attribute_values(":progress", s("in-progress"))
            .expression_attribute_values(":stale", n(now - STALE_CLAIM_MS))
            .send()
            .await;
        match put {
            Ok(_) => Ok(Claim::Taken),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                let item = self.get(key, "claim").await?.unwrap_or_default();
                let text = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                Ok(if text("state") == "handled" {
                    Claim::Handled {
                        at: text("handled_at"),
                        status: text("status"),
                    }
                } else {
                    Claim::Busy {
                        since: text("claimed_at"),
                    }
                })
            }
            Err(err) => Err(GuardError::from_sdk(PUT, self.table(), err)),
        }
    }

    /// Marks a claimed delivery handled, to `status`.
    pub async fn finish(&self, key: &str, status: Status) -> Result<(), GuardError> {
        self.update(key, "claim")
            .update_expression("SET #state = :handled, handled_at = :at, #status = :status")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":handled", s("handled"))
            .expression_attribute_values(":at", s(&format_time(now_ms())))
            .expression_attribute_values(":status", s(&status.to_string()))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(UPDATE, self.table(), e))?;
        Ok(())
    }

    /// Gives a claim up, so Lambda's retry of the same delivery is handled.
    pub async fn release(&self, key: &str) -> Result<(), GuardError> {
        self.client
            .delete_item()
            .table_name(self.table())
            .key("pk", s(key))
            .key("sk", s("claim"))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(DELETE, self.table(), e))?;
        Ok(())
    }
}
