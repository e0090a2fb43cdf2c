//! Change records, suppressions and the account's hourly counter: what a
//! check remembers of a resource, and what rollback and the breaker read.

use super::items::{change_sort_key, decode, n, resource_key, s, text};
use super::*;

impl StateTable {
    /// Creates or replaces a change record.
    pub async fn put_change(&self, record: &ChangeRecord) -> Result<(), GuardError> {
        let json = serde_json::to_string(record).map_err(|e| GuardError::Refused {
            operation: PUT.operation,
            resource: self.table().to_string(),
            message: format!("could not serialise change {}: {e}", record.change_id),
        })?;
        let expires = (record.created_ms() + i64::from(self.settings.audit_days) * DAY_MS) / 1000;
        self.put(&resource_key(&record.resource), &change_sort_key(record))
            .item("change_id", s(&record.change_id))
            .item("guard", s(&record.guard))
            .item("rule", s(&record.rule))
            .item("status", s(&record.status.to_string()))
            .item("created_ms", n(record.created_ms()))
            .item("record", s(&json))
            .item("expires_at", n(expires))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(PUT, &record.resource, e))?;
        Ok(())
    }

    /// The change recorded under `change_id`, as last written.
    pub async fn change(&self, change_id: &str) -> Result<Option<ChangeRecord>, GuardError> {
        let found = self
            .client
            .query()
            .table_name(self.table())
            .index_name(CHANGE_INDEX)
            .key_condition_expression("change_id = :id")
            .expression_attribute_values(":id", s(change_id))
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(QUERY, self.table(), e))?;
        let Some(keys) = found.items().first() else {
            return Ok(None);
        };
        // The index is eventually consistent: read the record itself.
        let (Some(pk), Some(sk)) = (text(keys, "pk"), text(keys, "sk")) else {
            return Ok(None);
        };
        match self.get(&pk, &sk).await? {
            Some(item) => decode(&item, self.table()).map(Some),
            None => Ok(None),
        }
    }

    /// Every change recorded on `resource`, newest first.
    pub async fn changes_of(&self, resource: &str) -> Result<Vec<ChangeRecord>, GuardError> {
        let items = self.query_resource(resource, Some("change#"), None).await?;
        let mut records = items
            .iter()
            .map(|item| decode(item, self.table()))
            .collect::<Result<Vec<ChangeRecord>, _>>()?;
        records.sort_by_key(|r| std::cmp::Reverse(r.created_ms()));
        Ok(records)
    }

    /// The suppressions in force on `resource`.
    pub async fn suppressions_of(&self, resource: &str) -> Result<Vec<Suppression>, GuardError> {
        let now = now_ms();
        let items = self
            .query_resource(resource, Some("suppress#"), None)
            .await?;
        let mut suppressions = Vec::new();
        for item in &items {
            let suppression: Suppression = decode(item, self.table())?;
            if suppression.in_force(now) {
                suppressions.push(suppression);
            }
        }
        Ok(suppressions)
    }

    /// Switches `rule` off on `resource` until the suppression's end.
    pub async fn suppress(&self, suppression: &Suppression) -> Result<(), GuardError> {
        let json = serde_json::to_string(suppression).map_err(|e| GuardError::Refused {
            operation: PUT.operation,
            resource: self.table().to_string(),
            message: format!("could not serialise the suppression: {e}"),
        })?;
        let until = parse_time(&suppression.until).ok_or_else(|| GuardError::Refused {
            operation: PUT.operation,
            resource: suppression.resource.clone(),
            message: format!("`{}` is not an RFC 3339 time", suppression.until),
        })?;
        self.put(
            &resource_key(&suppression.resource),
            &format!("suppress#{}#{}", suppression.guard, suppression.rule),
        )
        .item("record", s(&json))
        .item("expires_at", n(until / 1000))
        .send()
        .await
        .map_err(|e| GuardError::from_sdk(PUT, &suppression.resource, e))?;
        Ok(())
    }

    /// What a check of `resource` needs to know, in one query: suppressions
    /// in force, changes never completed, and changes since `since_ms`.
    pub async fn memory(&self, resource: &str, since_ms: i64) -> Result<Memory, GuardError> {
        let items = self.query_resource(resource, None, Some(since_ms)).await?;
        let now = now_ms();
        let mut memory = Memory::default();
        for item in &items {
            let sk = text(item, "sk").unwrap_or_default();
            if sk.starts_with("suppress#") {
                let suppression: Suppression = decode(item, self.table())?;
                if suppression.in_force(now) {
                    memory.suppressions.push(suppression);
                }
            } else if sk.starts_with("change#") {
                let record: ChangeRecord = decode(item, self.table())?;
                if record.status == ChangeStatus::Pending {
                    memory.pending.push(record);
                } else if record.created_ms() >= since_ms {
                    memory.recent.push(record);
                }
            }
        }
        memory
            .recent
            .sort_by_key(|r| std::cmp::Reverse(r.created_ms()));
        Ok(memory)
    }

    /// Counts one more fix for `account` this hour; answers the count so far.
    pub async fn tally(&self, account: &str) -> Result<u64, GuardError> {
        let now = now_ms();
        let hour = format_time(now).get(..13).unwrap_or_default().to_string();
        let expires = (now + 2 * DAY_MS) / 1000;
        let out = self
            .update(&format!("account#{account}"), &format!("hour#{hour}"))
            .update_expression("ADD changes :one SET expires_at = :expires")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(expires))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(UPDATE, self.table(), e))?;
        Ok(out
            .attributes()
            .and_then(|a| a.get("changes"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }
}
