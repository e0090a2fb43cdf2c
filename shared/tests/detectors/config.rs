//! The allow-list and the settings that choose detectors.

use super::*;

#[test]
fn allow_list_parses_and_matches() {
    let allow =
        AllowList::parse(" noreply@example.com , @example.org,*@corp.example, 123456789012,, ")
            .unwrap();
    assert!(allow.allows("noreply@example.com"));
    assert!(allow.allows("NoReply@Example.COM"));
    assert!(!allow.allows("reply@example.com"));
    assert!(allow.allows("jane@example.org"));
    assert!(
        allow.allows("jane@mail.example.org"),
        "subdomains are allowed"
    );
    assert!(!allow.allows("jane@notexample.org"));
    assert!(!allow.allows("jane@example.org.evil.com"));
    assert!(allow.allows("ops@corp.example"));
    assert!(allow.allows("123456789012"));
    assert!(allow.allows("1234-5678-9012"));
    assert!(!allow.allows("123456789013"));
    assert!(
        !allow.allows("https://u:p@example.org"),
        "domains cover emails only"
    );

    assert!(AllowList::parse("").unwrap().is_empty());
    assert!(AllowList::parse(" , ").unwrap().is_empty());
    assert!(!AllowList::empty().allows("jane@example.com"));
    assert_eq!(AllowList::parse("@"), Err("@".into()));
    assert_eq!(
        AllowList::parse("ok@example.com,@localhost"),
        Err("@localhost".into())
    );
    assert_eq!(
        AllowList::parse("@exa mple.com"),
        Err("@exa mple.com".into())
    );
    assert_eq!(
        AllowList::parse("@bad_domain.com"),
        Err("@bad_domain.com".into())
    );
    assert_eq!(AllowList::parse("a\u{7}b"), Err("a\u{7}b".into()));
}

#[test]
fn allowed_values_are_not_reported() {
    let allow = AllowList::parse("noreply@example.com,@example.org,123456789012").unwrap();
    let d = Detectors::new(DetectorId::ALL.to_vec(), allow);
    assert!(d.scan("Owner", "noreply@example.com").is_empty());
    assert!(d.scan("Owner", "ops@team.example.org").is_empty());
    assert_eq!(d.scan("Owner", "ops@example.com").len(), 1);
    assert!(d.scan("AccountId", "123456789012").is_empty());
    assert_eq!(d.scan("AccountId", "210987654321").len(), 1);
    let d = d.with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
    assert!(
        d.scan("Role", "arn:aws:iam::123456789012:role/x")
            .is_empty()
    );
    assert_eq!(d.scan("Role", "arn:aws:iam::210987654321:role/x").len(), 1);
    let found = d.scan("Notes", "noreply@example.com and jane@example.net");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].masked, "j***@e***.net");
    assert_eq!(
        d.allow_list(),
        &AllowList::parse("noreply@example.com,@example.org,123456789012").unwrap()
    );
}

#[test]
fn detector_list_parsing() {
    assert_eq!(parse_detector_list(""), Ok(DetectorId::ALL.to_vec()));
    assert_eq!(parse_detector_list("  "), Ok(DetectorId::ALL.to_vec()));
    assert_eq!(parse_detector_list("all"), Ok(DetectorId::ALL.to_vec()));
    assert_eq!(
        parse_detector_list("email, payment-card,email,"),
        Ok(vec![Email, PaymentCard])
    );
    assert_eq!(parse_detector_list("EMAIL"), Ok(vec![Email]));
    assert_eq!(parse_detector_list("email,bogus"), Err("bogus".into()));
    assert_eq!(
        parse_detector_list("aws_account_id"),
        Err("aws_account_id".into())
    );
    assert_eq!(parse_detector_list(" , "), Err(",".into()));
    let d = Detectors::new(
        parse_detector_list("phone-number").unwrap(),
        AllowList::empty(),
    );
    assert!(d.scan("Owner", "jane@example.com").is_empty());
    assert_eq!(d.enabled(), [PhoneNumber]);
}

#[test]
fn ids_names_and_serde() {
    let names = [
        "email",
        "aws-account-id",
        "aws-access-key-id",
        "aws-secret-access-key",
        "url-credentials",
        "private-key",
        "payment-card",
        "phone-number",
        "aws-session-credentials",
    ];
    for (d, name) in DetectorId::ALL.into_iter().zip(names) {
        assert_eq!(d.as_str(), name);
        assert_eq!(d.to_string(), name);
        assert_eq!(DetectorId::parse(name), Some(d));
        assert_eq!(name.parse::<DetectorId>(), Ok(d));
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{name}\""));
        assert_eq!(d.redaction_marker(), format!("redacted:{name}"));
    }
    assert_eq!(DetectorId::parse("nope"), None);
    assert_eq!(Confidence::High.to_string(), "high");
    assert_eq!(
        serde_json::to_string(&Confidence::Medium).unwrap(),
        "\"medium\""
    );
    assert!(Confidence::Low < Confidence::Medium && Confidence::Medium < Confidence::High);
    assert_eq!(TagAction::default(), TagAction::Redact);
    assert_eq!(TagAction::parse(" Remove "), Some(TagAction::Remove));
    assert_eq!(TagAction::parse("delete"), None);
    assert_eq!(TagAction::Redact.to_string(), "redact");
    let found = Detectors::all().scan("Owner", "jane@example.com");
    assert_eq!(
        serde_json::to_value(&found).unwrap(),
        serde_json::json!([{"detector": "email", "confidence": "high", "masked": "j***@e***.com", "span": {"start": 0, "end": 16}}])
    );
    assert_eq!(found[0].to_string(), "email (high): j***@e***.com");
}
