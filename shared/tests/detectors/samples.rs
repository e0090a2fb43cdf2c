//! Each detector against its table, exact samples with confidence, and
//! how findings in one value combine.

use super::*;

#[test]
fn email_table() {
    run_table(Email, EMAIL_POS, EMAIL_NEG);
}

#[test]
fn account_id_table() {
    run_table(AwsAccountId, ACCOUNT_POS, ACCOUNT_NEG);
}

#[test]
fn access_key_id_table() {
    run_table(AwsAccessKeyId, ACCESS_KEY_POS, ACCESS_KEY_NEG);
}

#[test]
fn secret_access_key_table() {
    run_table(
        AwsSecretAccessKey,
        &refs(&secret_pos()),
        &refs(&secret_neg()),
    );
}

#[test]
fn url_credentials_table() {
    run_table(UrlCredentials, URL_POS, URL_NEG);
}

#[test]
fn private_key_table() {
    run_table(PrivateKey, &refs(&private_key_pos()), PRIVATE_KEY_NEG);
}

#[test]
fn payment_card_table() {
    run_table(PaymentCard, CARD_POS, CARD_NEG);
}

#[test]
fn phone_number_table() {
    run_table(PhoneNumber, PHONE_POS, PHONE_NEG);
}

#[test]
fn session_credentials_table() {
    run_table(
        AwsSessionCredentials,
        &refs(&session_pos()),
        &refs(&session_neg()),
    );
}

#[test]
fn account_ids_inside_identifiers_are_not_findings() {
    assert!(IDENTIFIERS.len() >= 20);
    let report = Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
    assert_eq!(
        Detectors::all().account_ids_in_identifiers(),
        AccountIdsInIdentifiers::Ignore
    );
    for (key, value) in IDENTIFIERS {
        let found = Detectors::all().scan(key, value);
        assert!(found.is_empty(), "{key}={value:?}: {found:?}");
        let found = report.scan(key, value);
        assert!(!found.is_empty(), "report {key}={value:?}");
        for f in &found {
            assert_eq!(f.detector, AwsAccountId, "{key}={value:?}: {found:?}");
            assert!(f.in_identifier && f.confidence == Confidence::Low, "{f:?}");
            assert_eq!(f.masked.len(), 12, "{value:?}");
            assert!(f.masked.starts_with("********"), "{value:?}");
        }
        assert_hidden(value, &found);
    }
    let found = report.scan("Role", "arn:aws:iam::123456789012:role/x");
    assert_eq!(
        serde_json::to_value(&found).unwrap(),
        serde_json::json!([{"detector": "aws-account-id", "confidence": "low", "masked": "********9012", "span": {"start": 13, "end": 25}, "in_identifier": true}])
    );
    assert_eq!(
        found[0].to_string(),
        "aws-account-id (low, in an identifier): ********9012"
    );
    assert_eq!(
        AccountIdsInIdentifiers::parse(" REPORT "),
        Some(AccountIdsInIdentifiers::Report)
    );
    assert_eq!(
        AccountIdsInIdentifiers::parse("ignore"),
        Some(AccountIdsInIdentifiers::Ignore)
    );
    assert_eq!(AccountIdsInIdentifiers::parse("yes"), None);
    assert_eq!(AccountIdsInIdentifiers::Report.to_string(), "report");
}

/// S3 and the Tagging API accept only letters, digits, spaces and
/// `+ - = . _ : / @` in tag values: every marker must be made of them.
#[test]
fn redaction_markers_are_legal_tag_values() {
    let legal = |c: char| c.is_ascii_alphanumeric() || " +-=._:/@".contains(c);
    for d in DetectorId::ALL {
        let marker = d.redaction_marker();
        assert!(marker.chars().all(legal), "{d}: {marker:?}");
        assert!(marker.len() <= 256);
        assert_eq!(marker, format!("redacted:{}", d.as_str()));
        // A marker is not itself a finding, so a redacted tag stays quiet.
        assert!(
            Detectors::all().scan("Owner", marker).is_empty(),
            "{marker}"
        );
    }
}

/// Evidence built with `describe` or `Detectors::evidence` shows only
/// masked samples: nothing of the raw value, detected or not, beyond what
/// the masks keep.
#[test]
fn evidence_never_holds_the_raw_value() {
    let value = format!(
        "download https://b.s3.us-east-1.amazonaws.com/k?X-Amz-Credential=ASIAY34FZKBOKMUTVV7A%2F20240517%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token={TOKEN}&X-Amz-Signature={SIG} or ask jane@example.com; second copy 9f86d081884c7d65"
    );
    let d = Detectors::all();
    let found = d.scan("Description", &value);
    assert_eq!(detector_ids(&found), [Email, AwsSessionCredentials]);
    let evidence = d.evidence("field", "Description", &found);
    assert_eq!(
        evidence,
        "field `Description` holds aws-session-credentials X-Amz-Credential=*** (high), aws-session-credentials X-Amz-Security-Token=*** (high), aws-session-credentials X-Amz-Signature=*** (high), email j***@e***.com (high)"
    );
    for secret in [
        TOKEN,
        SIG,
        "ASIAY34FZKBOKMUTVV7A",
        "20240517",
        "jane@example",
    ] {
        for w in secret.as_bytes().windows(4) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(!evidence.contains(w), "{w:?} in {evidence}");
        }
    }
    // A tag key holding an address is masked in the evidence too.
    let e = d.evidence(
        "tag",
        "jane@example.com",
        &d.scan("jane@example.com", "x@example.org"),
    );
    assert_eq!(e, "tag `j***@e***.com` holds email x***@e***.org (high)");
    assert_eq!(describe(&[]), "");
}

#[test]
fn generic_negatives_are_never_flagged() {
    for key in EAGER_KEYS {
        for value in GENERIC_NEG {
            let found = Detectors::all().scan(key, value);
            assert!(found.is_empty(), "{key}={value:?}: {found:?}");
        }
    }
}

#[test]
fn exact_samples_and_confidence() {
    let cases: &[(DetectorId, &str, &str, &str, Confidence)] = &[
        (
            Email,
            "Owner",
            "jane.doe@example.com",
            "j***@e***.com",
            Confidence::High,
        ),
        (
            Email,
            "contact",
            "ops+alerts@mail.example.co.uk",
            "o***@m***.uk",
            Confidence::High,
        ),
        (
            AwsAccountId,
            "AccountId",
            "123456789012",
            "********9012",
            Confidence::High,
        ),
        (
            AwsAccountId,
            "account",
            "1234-5678-9012",
            "********9012",
            Confidence::High,
        ),
        (
            AwsAccountId,
            "OwnerId",
            "123456789012",
            "********9012",
            Confidence::High,
        ),
        (
            AwsAccessKeyId,
            "k",
            "AKIAIOSFODNN7EXAMPLE",
            "AKIA************MPLE",
            Confidence::High,
        ),
        (
            AwsAccessKeyId,
            "k",
            "AKIA1234567890123456",
            "AKIA************3456",
            Confidence::Medium,
        ),
        (
            AwsSecretAccessKey,
            "aws_secret_access_key",
            SECRET_1,
            "****************************************",
            Confidence::High,
        ),
        (
            AwsSecretAccessKey,
            "token",
            SECRET_6,
            "****************************************",
            Confidence::Medium,
        ),
        (
            UrlCredentials,
            "Database",
            "postgres://orders:Wq8zP2vLx@orders-db.internal.example.com:5432/orders",
            "postgres://***:***@orders-db.internal.example.com:5432",
            Confidence::High,
        ),
        (
            UrlCredentials,
            "url",
            "https://user:p@ss@host.example.com",
            "https://***:***@host.example.com",
            Confidence::High,
        ),
        (
            UrlCredentials,
            "url",
            "https://user:password@example.com",
            "https://***:***@example.com",
            Confidence::Low,
        ),
        (
            PrivateKey,
            "key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi7lxcuc3bZ\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY----- [redacted]",
            Confidence::High,
        ),
        (
            PrivateKey,
            "key",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAK",
            "-----BEGIN RSA PRIVATE KEY----- [redacted]",
            Confidence::Medium,
        ),
        (
            PaymentCard,
            "CardNumber",
            "1234567890129012",
            "",
            Confidence::High,
        ),
        (
            PaymentCard,
            "CardNumber",
            "4111 1111 1111 1111",
            "4111********1111",
            Confidence::High,
        ),
        (
            PaymentCard,
            "Notes",
            "5555555555554444",
            "5555********4444",
            Confidence::Medium,
        ),
        (
            PhoneNumber,
            "Phone",
            "+44 20 7946 0958",
            "+**********58",
            Confidence::Medium,
        ),
        (
            PhoneNumber,
            "phone_number",
            "(212) 555-0199",
            "********99",
            Confidence::Medium,
        ),
    ];
    for (d, key, value, want, confidence) in cases {
        let found = of(*d, key, value);
        if want.is_empty() {
            // 1234567890129012 is not Luhn-valid: the mask rule still applies.
            assert!(found.is_empty());
            assert_eq!(mask(*d, value), "1234********9012");
            continue;
        }
        assert_eq!(found.len(), 1, "{d} {value:?}: {found:?}");
        assert_eq!(found[0].masked, *want, "{d} {value:?}");
        assert_eq!(found[0].confidence, *confidence, "{d} {value:?}");
    }
}

#[test]
fn several_findings_in_one_value() {
    let value = "owner jane@example.com, key AKIAIOSFODNN7EXAMPLE, db postgres://u:Wq8zP2vLx@db.example.com, acct 123456789012 (arn:aws:iam::210987654321:root)";
    let found = Detectors::all().scan("Description", value);
    let ids: Vec<DetectorId> = found.iter().map(|d| d.detector).collect();
    assert_eq!(ids, [Email, AwsAccessKeyId, UrlCredentials, AwsAccountId]);
    assert_hidden(value, &found);
    assert_eq!(
        mask_spans(value, &found),
        "owner j***@e***.com, key AKIA************MPLE, db postgres://***:***@db.example.com, acct ********9012 (arn:aws:iam::210987654321:root)"
    );
    assert_eq!(
        describe(&found),
        "email j***@e***.com (high), aws-access-key-id AKIA************MPLE (high), url-credentials postgres://***:***@db.example.com (high), aws-account-id ********9012 (high)"
    );
    assert_eq!(
        detector_ids(&found),
        [Email, AwsAccountId, AwsAccessKeyId, UrlCredentials]
    );
    // Asked for, the ARN's account id is a fifth, low and flagged detection.
    let report = Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
    let found = report.scan("Description", value);
    assert_eq!(found.len(), 5);
    assert!(found[4].in_identifier && found[4].confidence == Confidence::Low);
    assert!(describe(&found).ends_with("aws-account-id ********4321 (low, in an identifier)"));
}

#[test]
fn the_more_specific_detector_wins_overlaps() {
    // An email inside URL credentials is reported once, as the URL.
    let v = "ftp://jane.doe@example.com:Secr3tPw@ftp.example.com";
    let found = Detectors::all().scan("url", v);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].detector, UrlCredentials);
    assert_eq!(found[0].masked, "ftp://***:***@ftp.example.com");
    // A 40-character secret after an access key id stays a separate finding.
    let v = format!("AKIAIOSFODNN7EXAMPLE:{SECRET_1}");
    let found = Detectors::all().scan("creds", &v);
    let ids: Vec<DetectorId> = found.iter().map(|d| d.detector).collect();
    assert_eq!(ids, [AwsAccessKeyId, AwsSecretAccessKey]);
    // A 12-digit phone number under an account-and-phone key is an account id.
    let found = Detectors::all().scan("AccountPhone", "123456789012");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].detector, AwsAccountId);
    // With URL credentials disabled, the user-info is not taken for an email.
    let found = only(Email).scan("url", "https://user:pass@host.example.com");
    assert!(found.is_empty(), "{found:?}");
}
