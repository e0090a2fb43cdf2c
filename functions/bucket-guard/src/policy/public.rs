//! Whether a policy grants public access, as S3's Block Public Access
//! judges it.

use super::{as_list, is_everyone, statements};
use serde_json::Value;

/// Condition keys that, with a fixed value, tie an `Allow` to everyone to
/// known callers, so that S3's Block Public Access does not count the
/// statement as public (AWS's rules for "public" bucket policies).
const NON_PUBLIC_KEYS: [&str; 12] = [
    "aws:SourceArn",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:userid",
    "aws:SourceIp",
    "s3:DataAccessPointArn",
    "s3:DataAccessPointAccount",
];

/// Does the policy grant public access, as Block Public Access judges it?
/// An `Allow` to everyone (or to everyone but some, with `NotPrincipal`)
/// whose conditions do not fix the callers to known ones (an account, an
/// organization, a VPC, an ARN, an IP range narrower than `/8`). S3 refuses
/// to write such a policy while `BlockPublicPolicy` is on.
pub fn is_public(policy: &Value) -> bool {
    statements(policy).unwrap_or_default().iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && (s.get("NotPrincipal").is_some() || s.get("Principal").is_some_and(is_everyone))
            && !restricted_to_known_callers(s.get("Condition"))
    })
}

fn restricted_to_known_callers(condition: Option<&Value>) -> bool {
    let Some(Value::Object(operators)) = condition else {
        return false;
    };
    operators.iter().any(|(operator, keys)| {
        // `...IfExists` lets a request without the key through; the
        // negated operators restrict nothing to known callers.
        let restricting = !operator.ends_with("IfExists")
            && !operator.contains("Not")
            && !operator.starts_with("Null");
        restricting
            && keys.as_object().is_some_and(|keys| {
                keys.iter().any(|(key, values)| {
                    NON_PUBLIC_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
                        && !as_list(values).is_empty()
                        && as_list(values)
                            .iter()
                            .all(|v| v.as_str().is_some_and(|v| fixed(key, v)))
                })
            })
    })
}

/// A condition value that names known callers: no wildcard, and for an IP
/// range a prefix of at least `/8` (IPv4) or `/32` (IPv6).
fn fixed(key: &str, value: &str) -> bool {
    if value.contains(['*', '?']) || value.is_empty() {
        return false;
    }
    if !key.eq_ignore_ascii_case("aws:SourceIp") {
        return true;
    }
    let (address, prefix) = value
        .split_once('/')
        .unwrap_or((value, if value.contains(':') { "128" } else { "32" }));
    let Ok(prefix) = prefix.parse::<u8>() else {
        return false;
    };
    if address.contains(':') {
        prefix >= 32
    } else {
        prefix >= 8
    }
}
