use super::*;

#[test]
fn times_round_trip_with_milliseconds() {
    let ms = 1_796_000_000_123;
    let text = format_time(ms);
    assert_eq!(text, "2026-11-30T00:53:20.123Z");
    assert_eq!(parse_time(&text), Some(ms));
    assert_eq!(parse_time("2026-12-01T10:00:00Z"), Some(1_796_119_200_000));
    assert_eq!(parse_time("yesterday"), None);
}

#[test]
fn change_ids_differ() {
    let a = new_change_id();
    let b = new_change_id();
    assert_ne!(a, b);
    assert!(a.starts_with("chg-") && a.len() == 28, "{a}");
}

#[test]
fn claim_keys_are_per_guard_and_per_sweep_resource() {
    let event = Trigger::Event {
        event_id: Some("e-1".into()),
        event_name: Some("PutBucketPolicy".into()),
    };
    assert_eq!(
        claim_key("bucket-guard", &event, None).as_deref(),
        Some("claim#bucket-guard#e-1")
    );
    let sweep = Trigger::Sweep {
        sweep_id: "s-1".into(),
    };
    assert_eq!(
        claim_key("bucket-guard", &sweep, Some("arn:aws:s3:::b")).as_deref(),
        Some("claim#bucket-guard#sweep#s-1#arn:aws:s3:::b")
    );
    let unknown = Trigger::Event {
        event_id: None,
        event_name: None,
    };
    assert_eq!(claim_key("bucket-guard", &unknown, None), None);
}

#[test]
fn settings_default_and_refuse_nonsense() {
    let none: [(&str, &str); 0] = [];
    assert_eq!(StateSettings::from_env(&none[..]), Ok(None));
    let settings = StateSettings::from_env(&[("WARDEN_STATE_TABLE", "warden-state")][..])
        .unwrap()
        .unwrap();
    assert_eq!(
        settings,
        StateSettings {
            table: "warden-state".into(),
            claim_days: 7,
            suppression_days: 7,
            breaker_changes: 3,
            breaker_window_minutes: 60,
            account_changes_per_hour: 100,
            audit_days: 365,
        }
    );
    let err = StateSettings::from_env(
        &[
            ("WARDEN_STATE_TABLE", "t"),
            ("WARDEN_BREAKER_CHANGES", "three"),
        ][..],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"WARDEN_BREAKER_CHANGES="three" is not valid: use a whole number from 1 to 1000"#
    );
}
