//! Reading `requestParameters` in any service's shape: lists, tags, ARNs
//! and free-form fields wherever they are.

use super::FreeFormField;
use serde_json::{Map, Value};
use warden_shared::arn::Arn;

/// `{"items": [...]}` (EC2's XML-derived lists) or a plain list.
pub(super) fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Object(map)) => items(map.get("items")),
        Some(Value::Array(list)) => list.iter().collect(),
        _ => vec![],
    }
}

pub(super) fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// The tags of any shape: `key`/`value` pairs (any casing, `tagKey`/`tagValue`
/// too) or a plain map, under any field whose name contains "tag".
pub fn tags_in(params: &Value) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    collect_tags(params, false, &mut tags);
    tags
}

fn collect_tags(value: &Value, under_tags: bool, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if under_tags && let Some(pair) = key_value(map) {
                out.push(pair);
                return;
            }
            for (name, child) in map {
                let taggy = name.to_ascii_lowercase().contains("tag");
                match child {
                    // A plain map of tag values: {"tags": {"k": "v"}}.
                    Value::Object(inner)
                        if taggy
                            && key_value(inner).is_none()
                            && inner.values().all(Value::is_string) =>
                    {
                        out.extend(
                            inner
                                .iter()
                                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))),
                        );
                    }
                    _ => collect_tags(child, under_tags || taggy, out),
                }
            }
        }
        Value::Array(list) => list
            .iter()
            .for_each(|item| collect_tags(item, under_tags, out)),
        _ => {}
    }
}

fn key_value(map: &Map<String, Value>) -> Option<(String, String)> {
    let find = |names: &[&str]| {
        map.iter()
            .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
            .and_then(|(_, v)| v.as_str())
    };
    Some((
        find(&["key", "tagKey"])?.to_string(),
        find(&["value", "tagValue"]).unwrap_or("").to_string(),
    ))
}

pub(super) fn arns_in(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut walk = vec![value];
    while let Some(v) = walk.pop() {
        match v {
            Value::String(s) if s.starts_with("arn:") && !found.contains(s) => {
                found.push(s.clone())
            }
            Value::Array(list) => walk.extend(list.iter().rev()),
            Value::Object(map) => walk.extend(map.values().rev()),
            _ => {}
        }
    }
    found
}

/// `name`, `*Name`, `description` and `author` string fields, at any depth
/// outside tags (tags are scanned as tags).
pub(super) fn free_form_fields(params: &Value) -> Vec<FreeFormField> {
    let mut fields = Vec::new();
    collect_fields(params, "", &mut fields);
    fields
}

fn collect_fields(value: &Value, path: &str, out: &mut Vec<FreeFormField>) {
    let Value::Object(map) = value else { return };
    for (name, child) in map {
        let full = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let lower = name.to_ascii_lowercase();
        if lower.contains("tag") {
            continue;
        }
        match child {
            Value::String(text)
                if is_free_form(name) && !text.is_empty() && !is_identifier(text) =>
            {
                out.push(FreeFormField {
                    name: full,
                    value: text.clone(),
                })
            }
            Value::Object(_) => collect_fields(child, &full, out),
            _ => {}
        }
    }
}

/// Names and descriptions people write (`name`, `*Name`, `description`,
/// `*Description`, `author`). Fields that hold an ARN or a resource id
/// (`roleArn`, `*Id`) are identifiers, not free text, and never match.
fn is_free_form(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "name"
        || lower == "author"
        || lower.ends_with("description")
        || (name.ends_with("Name") && lower != "bucketname")
}

/// A value that names a resource rather than describing it: an ARN (as
/// `UpdateTrail` takes its `name`, and trail-guard sends it).
fn is_identifier(value: &str) -> bool {
    Arn::parse(value.trim()).is_some()
}
