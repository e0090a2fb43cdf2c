//! tag-guard's settings, and the markers its redactions write.

use super::*;

/// Why tag-guard refuses to start with `env`.
fn refusal(env: &[(&str, &str)]) -> String {
    TagGuard::from_env(env).unwrap_err().to_string()
}

#[test]
fn settings() {
    let env = [
        ("WARDEN_DETECTORS", "email, phone-number"),
        ("WARDEN_ALLOW", "@example.com"),
        ("WARDEN_TAG_ACTION", "remove"),
    ];
    let parsed = TagGuard::from_env(&env[..]).unwrap();
    assert_eq!(parsed.action, TagAction::Remove);
    assert_eq!(parsed.detectors.enabled().len(), 2);
    assert!(
        parsed
            .detectors
            .scan("owner", "jane@example.com")
            .is_empty(),
        "allow-listed domain"
    );
    assert_eq!(
        refusal(&[("WARDEN_TAG_ACTION", "mask")]),
        r#"WARDEN_TAG_ACTION="mask" is not valid: use one of redact, remove"#
    );
    let err = refusal(&[("WARDEN_DETECTORS", "email,ssn")]);
    assert!(
        err.starts_with(r#"WARDEN_DETECTORS="ssn" is not valid"#),
        "{err}"
    );
}

#[test]
fn the_account_ids_setting() {
    assert_eq!(
        guard_with(&[]).detectors.account_ids_in_identifiers(),
        AccountIdsInIdentifiers::Ignore
    );
    assert_eq!(
        guard_with(&[("WARDEN_ACCOUNT_IDS_IN_ARNS", "REPORT")])
            .detectors
            .account_ids_in_identifiers(),
        AccountIdsInIdentifiers::Report
    );
    assert_eq!(
        refusal(&[("WARDEN_ACCOUNT_IDS_IN_ARNS", "flag")]),
        r#"WARDEN_ACCOUNT_IDS_IN_ARNS="flag" is not valid: use one of ignore, report"#
    );
}

#[test]
fn every_redaction_marker_is_a_legal_tag_value() {
    let legal = |c: char| c.is_ascii_alphanumeric() || " +-=._:/@".contains(c);
    for id in warden_shared::detect::DetectorId::ALL {
        let marker = id.redaction_marker();
        assert!(marker.chars().all(legal) && marker.len() <= 256, "{marker}");
        assert_eq!(marker, format!("redacted:{id}"));
    }
}
