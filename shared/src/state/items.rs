//! Reading items and building attribute values: the few primitives every
//! kind of item is read and written with.

use super::*;
use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;

impl StateTable {
    /// A put of the item `pk` / `sk` in the table; the caller adds the rest.
    pub(super) fn put(&self, pk: &str, sk: &str) -> PutItemFluentBuilder {
        self.client
            .put_item()
            .table_name(self.table())
            .item("pk", s(pk))
            .item("sk", s(sk))
    }

    /// An update of the item `pk` / `sk` in the table.
    pub(super) fn update(&self, pk: &str, sk: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(sk))
    }

    pub(super) async fn get(
        &self,
        pk: &str,
        sk: &str,
    ) -> Result<Option<HashMap<String, AttributeValue>>, GuardError> {
        let out = self
            .client
            .get_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| GuardError::from_sdk(GET, self.table(), e))?;
        Ok(out.item)
    }

    /// Every item under `resource#<arn>`: with `prefix`, those whose sort
    /// key starts with it; with `since_ms`, only suppressions, pending
    /// changes and changes since then (the rest of the history stays on the
    /// server).
    pub(super) async fn query_resource(
        &self,
        resource: &str,
        prefix: Option<&str>,
        since_ms: Option<i64>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, GuardError> {
        self.query(&resource_key(resource), prefix, since_ms).await
    }

    /// Every item under `pk` whose sort key starts with `prefix`.
    pub(super) async fn query_key(
        &self,
        pk: &str,
        prefix: Option<&str>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, GuardError> {
        self.query(pk, prefix, None).await
    }

    pub(super) async fn query(
        &self,
        pk: &str,
        prefix: Option<&str>,
        since_ms: Option<i64>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, GuardError> {
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(self.table())
                .consistent_read(true)
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start.take());
            query = match prefix {
                Some(prefix) => query
                    .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                    .expression_attribute_values(":prefix", s(prefix)),
                None => query.key_condition_expression("pk = :pk"),
            };
            if let Some(since) = since_ms {
                query = query
                    .filter_expression(
                        "begins_with(sk, :suppress) OR #status = :pending OR created_ms >= :since",
                    )
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":suppress", s("suppress#"))
                    .expression_attribute_values(":pending", s("pending"))
                    .expression_attribute_values(":since", n(since));
            }
            let out = query
                .send()
                .await
                .map_err(|e| GuardError::from_sdk(QUERY, pk, e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(items)
    }
}

pub(super) fn resource_key(arn: &str) -> String {
    format!("resource#{arn}")
}

pub(super) fn change_sort_key(record: &ChangeRecord) -> String {
    format!("change#{:013}#{}", record.created_ms(), record.change_id)
}

pub(super) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

pub(super) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn text(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

/// The JSON an item keeps in `record`.
pub(super) fn decode<T: serde::de::DeserializeOwned>(
    item: &HashMap<String, AttributeValue>,
    table: &str,
) -> Result<T, GuardError> {
    let unreadable = |why: String| GuardError::Refused {
        operation: QUERY.operation,
        resource: table.to_string(),
        message: format!(
            "item {} / {} is not one Warden can read ({why}); was it written by hand?",
            text(item, "pk").unwrap_or_default(),
            text(item, "sk").unwrap_or_default()
        ),
    };
    let json = text(item, "record").ok_or_else(|| unreadable("no `record` attribute".into()))?;
    serde_json::from_str(&json).map_err(|e| unreadable(e.to_string()))
}
