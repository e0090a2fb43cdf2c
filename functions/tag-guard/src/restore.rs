//! What tag-guard's changes are recorded as, and why none can be rolled
//! back.
//!
//! A redaction replaces a detected value with a marker (`redacted:email`),
//! and a removal deletes the tag; the value itself is never stored anywhere
//! Warden writes, the audit record included. The record therefore keeps the
//! masked value only (`j***@e***.com`), and a masked value cannot be put
//! back: rollback refuses every tag-guard change and says so.
//!
//! | rule | written |
//! | --- | --- |
//! | `sensitive-tag` | `{"Tags": {key: masked detections, or the redaction marker}}`: only the tags the rule changes or changed, key and value masked |
//! | `sensitive-field` | `null` (reported only: nothing is written) |

use crate::rules::is_reserved;
use crate::{TagGuard, TagState, rule};
use serde_json::{Map, Value, json};
use warden_shared::detect::DetectorId;
use warden_shared::mask::mask_spans;

pub const TAGS: &str = "Tags";

/// Why a tag-guard change is never rolled back.
pub const NOT_RESTORABLE: &str = "a tag-guard change cannot be rolled back: only the masked value was recorded (a detected secret is never stored anywhere Warden writes), so the original tag value is not known to Warden. Put the tag back by hand if it must stay, and exempt the resource (warden:exempt) so tag-guard leaves it alone";

/// The tags `rule`'s fix changes or changed on `state`, masked: every
/// scanned tag whose value holds a detection (shown as its masked samples)
/// and every tag whose value is a redaction marker. Key names are masked
/// where they hold a detection themselves.
pub fn written(guard: &TagGuard, rule: &str, state: &TagState) -> Value {
    let (rule::SENSITIVE_TAG, TagState::Tags(tags)) = (rule, state) else {
        return Value::Null;
    };
    let markers = DetectorId::ALL.map(DetectorId::redaction_marker);
    let mut shown = Map::new();
    for (key, value) in tags {
        if *key == guard.exemption_tag || is_reserved(key) || value.is_empty() {
            continue;
        }
        let shown_key = mask_spans(key, &guard.detectors.scan("", key));
        if markers.contains(&value.as_str()) {
            shown.insert(shown_key, json!(value));
            continue;
        }
        let detections = guard.detectors.scan(key, value);
        if detections.is_empty() {
            continue;
        }
        let masked: Vec<&str> = detections.iter().map(|d| d.masked.as_str()).collect();
        shown.insert(shown_key, json!(masked.join(" … ")));
    }
    json!({ TAGS: shown })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{guard, tags};
    use warden_shared::detect::TagAction;

    #[test]
    fn only_masked_values_are_recorded() {
        let g = guard(TagAction::Redact);
        let before = tags(&[
            ("owner", "jane.doe@example.com"),
            ("team", "payments"),
            ("aws:cloudformation:stack-name", "prod"),
            ("warden:exempt", "tls-required"),
        ]);
        let recorded = written(&g, rule::SENSITIVE_TAG, &before);
        assert_eq!(recorded, json!({"Tags": {"owner": "j***@e***.com"}}));
        assert!(!recorded.to_string().contains("jane.doe"));
        let after = tags(&[("owner", "redacted:email"), ("team", "payments")]);
        assert_eq!(
            written(&g, rule::SENSITIVE_TAG, &after),
            json!({"Tags": {"owner": "redacted:email"}})
        );
        assert_eq!(
            written(&g, rule::SENSITIVE_TAG, &tags(&[("team", "payments")])),
            json!({"Tags": {}})
        );
        assert_eq!(
            written(&g, rule::SENSITIVE_FIELD, &TagState::Call),
            Value::Null
        );
        assert_eq!(
            written(&g, rule::SENSITIVE_TAG, &TagState::Call),
            Value::Null
        );
    }
}
