//! Bucket policies: recognising a TLS deny whatever its spelling, and adding
//! one by a merge that keeps every existing statement.
//!
//! A deny counts when it applies to everyone (`"*"`, `{"AWS": "*"}`), to all
//! S3 actions (`s3:*`, `*`), on both the bucket and every object in it (over
//! one statement or several), under exactly the one condition that makes it a
//! TLS control. Any extra condition, `NotAction`, `NotPrincipal` or
//! `NotResource` narrows a deny in ways that cannot be judged from the policy
//! alone, so such statements are kept but not counted.

use serde_json::{Map, Value, json};

/// S3's limit on a bucket policy's size.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

/// The two transport rules a bucket policy must enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsRule {
    /// Deny requests made without TLS (`aws:SecureTransport` = false).
    Required,
    /// Deny requests made with TLS older than 1.2 (`s3:TlsVersion` < 1.2).
    MinimumVersion,
}

impl TlsRule {
    pub const fn name(self) -> &'static str {
        match self {
            TlsRule::Required => crate::rule::TLS_REQUIRED,
            TlsRule::MinimumVersion => crate::rule::TLS_VERSION,
        }
    }

    /// The Sid Warden gives the statement it adds: stable, so a second run
    /// finds its own statement and adds nothing.
    pub fn sid(self) -> &'static str {
        match self {
            TlsRule::Required => "WardenDenyInsecureTransport",
            TlsRule::MinimumVersion => "WardenDenyTlsBelow12",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            TlsRule::Required => "requests without TLS (aws:SecureTransport = false)",
            TlsRule::MinimumVersion => "TLS versions below 1.2 (s3:TlsVersion < 1.2)",
        }
    }

    fn condition(self) -> Value {
        match self {
            TlsRule::Required => json!({"Bool": {"aws:SecureTransport": "false"}}),
            TlsRule::MinimumVersion => json!({"NumericLessThan": {"s3:TlsVersion": "1.2"}}),
        }
    }

    /// Does this condition block make a deny enforce the rule? Stricter
    /// forms count too (`...IfExists`, a higher minimum version).
    fn condition_enforces(self, condition: &Value) -> bool {
        let Some((operator, keys)) = single_entry(condition) else {
            return false;
        };
        let Some((key, values)) = single_entry(keys) else {
            return false;
        };
        let values = as_list(values);
        match self {
            TlsRule::Required => {
                matches!(operator.as_str(), "Bool" | "BoolIfExists")
                    && key.eq_ignore_ascii_case("aws:SecureTransport")
                    && !values.is_empty()
                    && values.iter().all(|v| {
                        v.as_bool() == Some(false)
                            || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))
                    })
            }
            TlsRule::MinimumVersion => {
                // Several values are ORed: the deny fires below the largest.
                let threshold = values
                    .iter()
                    .filter_map(|v| number(v))
                    .fold(f64::NAN, f64::max);
                key.eq_ignore_ascii_case("s3:TlsVersion")
                    && match operator.as_str() {
                        "NumericLessThan" | "NumericLessThanIfExists" => threshold >= 1.2,
                        // TLS versions are 1.0, 1.1, 1.2, 1.3: "<= 1.1" is "< 1.2".
                        "NumericLessThanEquals" | "NumericLessThanEqualsIfExists" => {
                            threshold >= 1.1
                        }
                        _ => false,
                    }
            }
        }
    }
}

/// The bucket and its objects, as policy resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketResources {
    pub bucket: String,
    pub objects: String,
}

impl BucketResources {
    pub fn new(bucket_arn: &str) -> Self {
        Self {
            bucket: bucket_arn.to_string(),
            objects: format!("{bucket_arn}/*"),
        }
    }
}

/// The policy has a shape S3 would not return; Warden will not rewrite it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the bucket policy's `Statement` is {0}, expected a statement or a list of them")]
pub struct UnexpectedShape(&'static str);

fn statements(policy: &Value) -> Result<Vec<&Value>, UnexpectedShape> {
    match policy.get("Statement") {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(list)) => Ok(list.iter().collect()),
        Some(statement @ Value::Object(_)) => Ok(vec![statement]),
        Some(Value::String(_)) => Err(UnexpectedShape("a string")),
        Some(_) => Err(UnexpectedShape("a scalar")),
    }
}

/// Is the rule enforced on the bucket and on every object?
pub fn enforces(policy: Option<&Value>, resources: &BucketResources, rule: TlsRule) -> bool {
    let Some(policy) = policy else {
        return false;
    };
    let denies: Vec<&Value> = statements(policy)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| is_deny_of_all_s3_to_everyone(s))
        .filter(|s| {
            s.get("Condition")
                .is_some_and(|c| rule.condition_enforces(c))
        })
        .collect();
    let covered = |target: &str, prefix: bool| {
        denies.iter().any(|s| {
            as_list(s.get("Resource").unwrap_or(&Value::Null))
                .iter()
                .filter_map(|r| r.as_str())
                .any(|pattern| {
                    if prefix {
                        covers_every_object(pattern, target)
                    } else {
                        glob_match(pattern, target)
                    }
                })
        })
    };
    let objects_prefix = resources.objects.trim_end_matches('*');
    covered(&resources.bucket, false) && covered(objects_prefix, true)
}

fn is_deny_of_all_s3_to_everyone(statement: &Value) -> bool {
    let has = |key: &str| statement.get(key).is_some();
    statement.get("Effect").and_then(Value::as_str) == Some("Deny")
        && !has("NotAction")
        && !has("NotPrincipal")
        && !has("NotResource")
        && statement.get("Principal").is_some_and(is_everyone)
        && as_list(statement.get("Action").unwrap_or(&Value::Null))
            .iter()
            .filter_map(|a| a.as_str())
            .any(|action| action.ends_with('*') && glob_match(&action.to_ascii_lowercase(), "s3:"))
}

fn is_everyone(principal: &Value) -> bool {
    match principal {
        Value::String(s) => s == "*",
        Value::Object(map) => map
            .get("AWS")
            .is_some_and(|aws| as_list(aws).iter().any(|v| v.as_str() == Some("*"))),
        _ => false,
    }
}

/// A pattern that ends in `*` and matches the bare prefix matches every
/// string that starts with it: the trailing `*` absorbs the rest.
fn covers_every_object(pattern: &str, objects_prefix: &str) -> bool {
    pattern.ends_with('*') && glob_match(pattern, objects_prefix)
}

/// IAM's wildcard match: `*` is any run of characters, `?` any one.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The statement Warden adds for a rule, with a Sid not already in use.
pub fn deny_statement(rule: TlsRule, resources: &BucketResources, policy: Option<&Value>) -> Value {
    let taken: Vec<&str> = policy
        .and_then(|p| statements(p).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str))
        .collect();
    let sid = std::iter::once(rule.sid().to_string())
        .chain((2..).map(|n| format!("{}{n}", rule.sid())))
        .find(|sid| !taken.contains(&sid.as_str()))
        .unwrap_or_else(|| rule.sid().to_string());
    json!({
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [resources.bucket, resources.objects],
        "Condition": rule.condition(),
    })
}

/// The existing policy with `additions` appended. Every existing statement
/// and top-level field is kept as it was (a single statement object becomes
/// a one-element list, which means the same); a bucket without a policy gets
/// a new one.
pub fn merge(policy: Option<&Value>, additions: Vec<Value>) -> Result<Value, UnexpectedShape> {
    let Some(existing) = policy else {
        return Ok(json!({"Version": "2012-10-17", "Statement": additions}));
    };
    let Value::Object(fields) = existing else {
        return Err(UnexpectedShape("not inside a JSON object"));
    };
    let mut statement_list: Vec<Value> = statements(existing)?.into_iter().cloned().collect();
    statement_list.extend(additions);
    let mut merged = Map::new();
    let mut placed = false;
    for (key, value) in fields {
        if key == "Statement" {
            merged.insert(
                key.clone(),
                Value::Array(std::mem::take(&mut statement_list)),
            );
            placed = true;
        } else {
            merged.insert(key.clone(), value.clone());
        }
    }
    if !placed {
        merged.insert("Statement".into(), Value::Array(statement_list));
    }
    Ok(Value::Object(merged))
}

/// Service principals that deliver logs into buckets and cannot write with
/// SSE-KMS default encryption.
const LOG_DELIVERY_SERVICES: [&str; 4] = [
    "logging.s3.amazonaws.com",
    "delivery.logs.amazonaws.com",
    "logdelivery.elasticloadbalancing.amazonaws.com",
    "logdelivery.elb.amazonaws.com",
];

/// The Elastic Load Balancing accounts that write access logs in regions
/// that predate the log-delivery service principal.
const ELB_LOG_ACCOUNTS: [&str; 25] = [
    "127311923021",
    "033677994240",
    "027434742980",
    "797873946194",
    "098369216593",
    "985666609251",
    "054676820928",
    "156460612806",
    "652711504416",
    "635631232127",
    "009996457667",
    "897822967062",
    "754344448648",
    "582318560864",
    "600734575887",
    "383597477331",
    "114774131450",
    "783225319266",
    "718504428378",
    "076674570225",
    "507241528517",
    "048591011584",
    "190560391635",
    "638102146993",
    "037604701340",
];

/// Does the policy let a log-delivery service write into the bucket?
pub fn grants_log_delivery(policy: Option<&Value>) -> bool {
    let Some(policy) = policy else {
        return false;
    };
    statements(policy).unwrap_or_default().iter().any(|s| {
        let principal = s.get("Principal").unwrap_or(&Value::Null);
        let names = |key: &str| -> Vec<String> {
            as_list(principal.get(key).unwrap_or(&Value::Null))
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && (names("Service")
                .iter()
                .any(|n| LOG_DELIVERY_SERVICES.contains(&n.as_str()))
                || names("AWS").iter().any(|n| {
                    let account = n
                        .strip_prefix("arn:")
                        .map_or(n.as_str(), |arn| arn.split(':').nth(3).unwrap_or(""));
                    ELB_LOG_ACCOUNTS.contains(&account)
                }))
    })
}

fn as_list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(list) => list.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}

fn single_entry(value: &Value) -> Option<(&String, &Value)> {
    let map = value.as_object()?;
    if map.len() == 1 {
        map.iter().next()
    } else {
        None
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

mod public;

pub use public::is_public;

#[cfg(test)]
mod tests;
