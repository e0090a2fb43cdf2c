//! The difference between what Warden wrote and what a resource holds now,
//! key by key, so a refusal shows exactly what someone changed since.
//!
//! A value that is a JSON document in a string (a bucket policy) is
//! compared as the document, statement by statement.

use serde_json::{Value, json};

/// Every place where `recorded` and `now` differ: `{"path", "recorded",
/// "now"}`, with `null` for a side that has nothing there. Empty when they
/// are equal.
pub fn difference(recorded: &Value, now: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    walk("", recorded, now, &mut out);
    out
}

fn walk(path: &str, recorded: &Value, now: &Value, out: &mut Vec<Value>) {
    if recorded == now {
        return;
    }
    let child = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (recorded, now) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                walk(&child(key), value, b.get(key).unwrap_or(&Value::Null), out);
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    walk(&child(key), &Value::Null, value, out);
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for index in 0..a.len().max(b.len()) {
                walk(
                    &format!("{path}[{index}]"),
                    a.get(index).unwrap_or(&Value::Null),
                    b.get(index).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::String(a), Value::String(b)) => match (document(a), document(b)) {
            (Some(a), Some(b)) => walk(path, &a, &b, out),
            _ => out.push(json!({"path": path, "recorded": recorded, "now": now})),
        },
        _ => out.push(json!({"path": path, "recorded": recorded, "now": now})),
    }
}

/// A string that holds a JSON object (a policy document).
fn document(text: &str) -> Option<Value> {
    text.trim_start()
        .starts_with('{')
        .then(|| serde_json::from_str::<Value>(text).ok())
        .flatten()
        .filter(Value::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_have_no_difference() {
        let v = json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true}});
        assert!(difference(&v, &v).is_empty());
    }

    #[test]
    fn each_differing_key_with_both_sides() {
        let recorded = json!({"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": true, "IgnorePublicAcls": true}});
        let now = json!({"PublicAccessBlockConfiguration": {
            "BlockPublicAcls": false, "IgnorePublicAcls": true}});
        assert_eq!(
            difference(&recorded, &now),
            vec![
                json!({"path": "PublicAccessBlockConfiguration.BlockPublicAcls", "recorded": true, "now": false})
            ]
        );
        assert_eq!(
            difference(
                &json!({"ServerSideEncryptionConfiguration": {"Rules": []}}),
                &json!({"ServerSideEncryptionConfiguration": null})
            ),
            vec![
                json!({"path": "ServerSideEncryptionConfiguration", "recorded": {"Rules": []}, "now": null})
            ]
        );
    }

    #[test]
    fn a_policy_is_compared_statement_by_statement() {
        let recorded = json!({"Policy": r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Deny"},{"Sid":"B"}]}"#});
        let now = json!({"Policy": r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow"}]}"#});
        assert_eq!(
            difference(&recorded, &now),
            vec![
                json!({"path": "Policy.Statement[0].Effect", "recorded": "Deny", "now": "Allow"}),
                json!({"path": "Policy.Statement[1]", "recorded": {"Sid": "B"}, "now": null}),
            ]
        );
        assert_eq!(
            difference(&recorded, &json!({"Policy": null})),
            vec![json!({"path": "Policy", "recorded": recorded["Policy"], "now": null})]
        );
    }
}
