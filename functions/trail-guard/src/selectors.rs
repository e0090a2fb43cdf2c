//! Event selectors: does a trail still record write management events?
//!
//! A trail has either basic event selectors (`EventSelectors`) or advanced
//! ones (`AdvancedEventSelectors`), never both. Without custom selectors it
//! records every read and write management event: AWS reports that default
//! as one explicit basic selector (`ReadWriteType: All`,
//! `IncludeManagementEvents: true`), moto as two empty lists; both are
//! [`Selectors::default`] here.
//!
//! Also here: the one-line summaries of a `PutEventSelectors` request that
//! findings carry as evidence (what changed).

use serde_json::Value;

/// A trail's event selectors, as `GetEventSelectors` returns them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selectors {
    pub basic: Vec<BasicSelector>,
    pub advanced: Vec<AdvancedSelector>,
}

/// One basic event selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicSelector {
    /// `All`, `ReadOnly` or `WriteOnly`; AWS's default when unset is `All`.
    pub read_write_type: Option<String>,
    /// AWS's default when unset is `true`.
    pub include_management_events: Option<bool>,
}

/// One advanced event selector: its field selectors, all of which must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub fields: Vec<FieldSelector>,
}

/// One condition of an advanced selector.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_equals: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

impl FieldSelector {
    /// Whether `value` of this field passes the condition: the positive
    /// operators are alternatives, the negative ones all have to hold.
    fn allows(&self, value: &str) -> bool {
        let positive = !self.restricts()
            || self.equals.iter().any(|v| v == value)
            || self
                .starts_with
                .iter()
                .any(|p| value.starts_with(p.as_str()))
            || self.ends_with.iter().any(|s| value.ends_with(s.as_str()));
        positive
            && !self.not_equals.iter().any(|v| v == value)
            && !self
                .not_starts_with
                .iter()
                .any(|p| value.starts_with(p.as_str()))
            && !self
                .not_ends_with
                .iter()
                .any(|s| value.ends_with(s.as_str()))
    }

    /// Does the condition only let some values through (an allow-list)?
    fn restricts(&self) -> bool {
        !(self.equals.is_empty() && self.starts_with.is_empty() && self.ends_with.is_empty())
    }
}

impl BasicSelector {
    fn records_writes(&self) -> bool {
        self.include_management_events.unwrap_or(true)
            && matches!(
                self.read_write_type.as_deref().unwrap_or("All"),
                "All" | "WriteOnly"
            )
    }
}

impl AdvancedSelector {
    fn field(&self, name: &str) -> Option<&FieldSelector> {
        self.fields.iter().find(|f| f.field == name)
    }

    /// A management-event selector (`eventCategory = Management`) whose
    /// `readOnly` condition lets write events (`readOnly = false`) through
    /// and that does not narrow them to some sources or names. Excluding
    /// sources (`eventSource` not-equals, as for KMS or RDS Data API
    /// events) still records the account's writes.
    fn records_writes(&self) -> bool {
        let management = self
            .field("eventCategory")
            .is_some_and(|f| f.allows("Management") && f.restricts());
        let writes = self.field("readOnly").is_none_or(|f| f.allows("false"));
        let narrowed = ["eventSource", "eventName"]
            .iter()
            .filter_map(|name| self.field(name))
            .any(FieldSelector::restricts);
        management && writes && !narrowed
    }
}

impl Selectors {
    /// Does the trail record write management events (every API call that
    /// changes something)?
    pub fn records_write_management_events(&self) -> bool {
        if self.basic.is_empty() && self.advanced.is_empty() {
            return true;
        }
        self.basic.iter().any(BasicSelector::records_writes)
            || self.advanced.iter().any(AdvancedSelector::records_writes)
    }
}

/// A one-line summary of a `PutEventSelectors` request's parameters
/// (`eventSelectors` or `advancedEventSelectors`, in CloudTrail's camelCase),
/// for a finding's evidence. Lenient: it describes what is there.
pub fn summarise_request(request: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(selectors) = request.get("eventSelectors").and_then(Value::as_array) {
        let each: Vec<String> = selectors.iter().map(summarise_basic).collect();
        parts.push(format!("eventSelectors [{}]", each.join("; ")));
    }
    if let Some(selectors) = request
        .get("advancedEventSelectors")
        .and_then(Value::as_array)
    {
        let each: Vec<String> = selectors.iter().map(summarise_advanced).collect();
        parts.push(format!("advancedEventSelectors [{}]", each.join("; ")));
    }
    if parts.is_empty() {
        "no event selectors".into()
    } else {
        parts.join(", ")
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// The text of `value`'s `key`, `?` where it has none.
fn text_at(value: &Value, key: &str) -> String {
    value.get(key).map_or_else(|| "?".into(), text)
}

/// Each entry of the array at `value`'s `key`, as `each` gives it; none
/// where there is no such array.
fn entries<T>(value: &Value, key: &str, each: impl FnMut(&Value) -> T) -> Vec<T> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().map(each).collect())
        .unwrap_or_default()
}

fn summarise_basic(selector: &Value) -> String {
    let mut fields = Vec::new();
    for key in ["readWriteType", "includeManagementEvents"] {
        if let Some(value) = selector.get(key).filter(|v| !v.is_null()) {
            fields.push(format!("{key}={}", text(value)));
        }
    }
    let data = entries(selector, "dataResources", |r| text_at(r, "type"));
    let excluded = entries(selector, "excludeManagementEventSources", text);
    for (key, list) in [
        ("dataResources", data),
        ("excludeManagementEventSources", excluded),
    ] {
        if !list.is_empty() {
            fields.push(format!("{key}={}", list.join(",")));
        }
    }
    fields.join(" ")
}

fn summarise_advanced(selector: &Value) -> String {
    const OPERATORS: [(&str, &str); 6] = [
        ("equals", "="),
        ("startsWith", " starts with "),
        ("endsWith", " ends with "),
        ("notEquals", "!="),
        ("notStartsWith", " does not start with "),
        ("notEndsWith", " does not end with "),
    ];
    let conditions = entries(selector, "fieldSelectors", |f| {
        let field = text_at(f, "field");
        OPERATORS
            .iter()
            .filter_map(|(key, op)| {
                let values = entries(f, key, text);
                (!values.is_empty()).then(|| format!("{field}{op}{}", values.join("|")))
            })
            .collect::<Vec<_>>()
    })
    .concat();
    let body = conditions.join(" and ");
    match selector.get("name").and_then(Value::as_str) {
        Some(name) if !name.is_empty() => format!("{name:?}: {body}"),
        _ => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn basic(rwt: Option<&str>, management: Option<bool>) -> Selectors {
        Selectors {
            basic: vec![BasicSelector {
                read_write_type: rwt.map(str::to_string),
                include_management_events: management,
            }],
            advanced: vec![],
        }
    }

    fn field(name: &str, equals: &[&str], not_equals: &[&str]) -> FieldSelector {
        FieldSelector {
            field: name.into(),
            equals: equals.iter().map(|s| s.to_string()).collect(),
            not_equals: not_equals.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn advanced(fields: Vec<FieldSelector>) -> Selectors {
        Selectors {
            basic: vec![],
            advanced: vec![AdvancedSelector { name: None, fields }],
        }
    }

    #[test]
    fn no_custom_selectors_is_the_default_all_management_events() {
        assert!(Selectors::default().records_write_management_events());
    }

    #[test]
    fn basic_selectors() {
        for (rwt, management, records) in [
            (Some("All"), Some(true), true),
            (Some("WriteOnly"), Some(true), true),
            (None, None, true),
            (Some("ReadOnly"), Some(true), false),
            (Some("All"), Some(false), false),
            (Some("Sometimes"), Some(true), false),
        ] {
            assert_eq!(
                basic(rwt, management).records_write_management_events(),
                records,
                "{rwt:?} {management:?}"
            );
        }
        let mut two = basic(Some("ReadOnly"), Some(true));
        two.basic.push(BasicSelector {
            read_write_type: Some("WriteOnly".into()),
            include_management_events: Some(true),
        });
        assert!(
            two.records_write_management_events(),
            "any selector may record them"
        );
    }

    #[test]
    fn advanced_selectors() {
        let management = || field("eventCategory", &["Management"], &[]);
        assert!(advanced(vec![management()]).records_write_management_events());
        assert!(
            advanced(vec![management(), field("readOnly", &["false"], &[])])
                .records_write_management_events()
        );
        assert!(
            advanced(vec![
                management(),
                field("eventSource", &[], &["kms.amazonaws.com"])
            ])
            .records_write_management_events(),
            "excluding KMS events keeps the account's writes"
        );
        for weakened in [
            vec![management(), field("readOnly", &["true"], &[])],
            vec![management(), field("readOnly", &[], &["false"])],
            vec![
                management(),
                field("eventSource", &["s3.amazonaws.com"], &[]),
            ],
            vec![
                field("eventCategory", &["Data"], &[]),
                field("resources.type", &["AWS::S3::Object"], &[]),
            ],
            vec![field("eventCategory", &[], &["Management"])],
        ] {
            assert!(
                !advanced(weakened.clone()).records_write_management_events(),
                "{weakened:?}"
            );
        }
    }

    #[test]
    fn request_summaries() {
        let stratus = json!({"trailName": "t", "eventSelectors": [{"dataResources": [
            {"type": "AWS::S3::Object", "values": []}, {"type": "AWS::Lambda::Function", "values": []}],
            "excludeManagementEventSources": [], "includeManagementEvents": false, "readWriteType": "ReadOnly"}]});
        assert_eq!(
            summarise_request(&stratus),
            "eventSelectors [readWriteType=ReadOnly includeManagementEvents=false dataResources=AWS::S3::Object,AWS::Lambda::Function]"
        );
        let advanced = json!({"trailName": "t", "advancedEventSelectors": [{"name": "S3 writes only",
            "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]},
                               {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                               {"field": "readOnly", "equals": ["false"]}]}]});
        assert_eq!(
            summarise_request(&advanced),
            "advancedEventSelectors [\"S3 writes only\": eventCategory=Data and resources.type=AWS::S3::Object and readOnly=false]"
        );
        assert_eq!(
            summarise_request(&json!({"trailName": "t"})),
            "no event selectors"
        );
        let excluding = json!({"eventSelectors": [{"readWriteType": "All",
            "excludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]}],
            "advancedEventSelectors": [{"fieldSelectors": [
                {"field": "eventSource", "notEquals": ["kms.amazonaws.com"], "startsWith": []},
                {"endsWith": ["-prod", "-test"]}]}]});
        assert_eq!(
            summarise_request(&excluding),
            "eventSelectors [readWriteType=All excludeManagementEventSources=kms.amazonaws.com,rdsdata.amazonaws.com], \
             advancedEventSelectors [eventSource!=kms.amazonaws.com and ? ends with -prod|-test]"
        );
    }
}
