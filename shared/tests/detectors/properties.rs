//! Property tests for masking and for the detectors.

use super::*;

/// `s` with the characters in `hidden` changed (letters and digits rotated,
/// other characters kept), so masks of `s` and of the result must agree.
fn rotate(s: &str, hidden: &[(usize, usize)]) -> String {
    s.char_indices()
        .map(|(i, c)| {
            if !hidden.iter().any(|&(a, b)| (a..b).contains(&i)) {
                return c;
            }
            match c {
                'a'..='y' | 'A'..='Y' | '0'..='8' => (c as u8 + 1) as char,
                'z' => 'a',
                'Z' => 'A',
                '9' => '0',
                c => c,
            }
        })
        .collect()
}

/// The masking property: `mask(d, s) != s`, the mask does not depend on the
/// hidden characters, and no 4-character window of `s` that reaches into the
/// hidden part appears in the mask unless the same text is also part of
/// what the rule may show (the kept prefix/suffix, or the rule's own fixed
/// text such as `[redacted]`).
fn check_mask(
    d: DetectorId,
    s: &str,
    hidden: &[(usize, usize)],
    fixed: &str,
) -> Result<(), TestCaseError> {
    let m = mask(d, s);
    prop_assert_ne!(&m, s);
    prop_assert_eq!(
        &m,
        &mask(d, &rotate(s, hidden)),
        "the mask depends on hidden characters"
    );
    // The visible parts: maximal ranges of `s` outside `hidden`.
    let mut visible = Vec::new();
    let mut start = 0;
    let mut sorted: Vec<_> = hidden.to_vec();
    sorted.sort_unstable();
    for (a, b) in sorted {
        if a > start {
            visible.push(&s[start..a]);
        }
        start = start.max(b);
    }
    if start < s.len() {
        visible.push(&s[start..]);
    }
    for i in 0..s.len().saturating_sub(3) {
        if !hidden.iter().any(|&(a, b)| a < i + 4 && i < b) {
            continue;
        }
        let Some(w) = s.get(i..i + 4) else { continue };
        if m.contains(w) {
            let explained = visible.iter().any(|v| v.contains(w)) || fixed.contains(w);
            prop_assert!(explained, "{d}: {w:?} of {s:?} leaks into {m:?}");
        }
    }
    Ok(())
}

fn card_number() -> impl Strategy<Value = String> {
    let prefixes: &[(&str, usize)] = &[
        ("4", 16),
        ("4", 13),
        ("4", 19),
        ("51", 16),
        ("55", 16),
        ("2221", 16),
        ("2720", 16),
        ("34", 15),
        ("37", 15),
        ("6011", 16),
        ("65", 19),
        ("3528", 16),
        ("36", 14),
        ("62", 17),
        ("1800", 15),
        ("2131", 15),
        ("3589", 19),
        ("5018", 12),
        ("6304", 12),
        ("6759", 19),
        ("5893", 16),
    ];
    (
        prop::sample::select(prefixes),
        prop::collection::vec(0u8..10, 19),
    )
        .prop_map(|((p, len), rest)| {
            let mut digits: Vec<u8> = p.bytes().map(|b| b - b'0').collect();
            digits.extend(&rest[..len - p.len() - 1]);
            // The Luhn check digit, by a table rather than the detector's
            // arithmetic, so the two are independent: every second digit
            // from the right (the check digit's neighbour first) doubled,
            // its digits summed.
            const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
            let sum: u32 = digits
                .iter()
                .rev()
                .zip([true, false].into_iter().cycle())
                .map(|(&d, doubled)| {
                    if doubled {
                        DOUBLED[usize::from(d)]
                    } else {
                        u32::from(d)
                    }
                })
                .sum();
            digits.push(((10 - sum % 10) % 10) as u8);
            digits.iter().map(|d| (b'0' + d) as char).collect()
        })
}

fn secret_key() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/]{40}".prop_filter("shaped like a real key", |s| {
        let distinct: std::collections::HashSet<char> = s.chars().collect();
        !s.starts_with('/')
            && s.chars().any(|c| c.is_ascii_uppercase())
            && s.chars().any(|c| c.is_ascii_lowercase())
            && s.chars()
                .any(|c| c.is_ascii_digit() || c == '+' || c == '/')
            && distinct.len() >= 20
    })
}

fn password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!%_~-]{4,16}".prop_filter("not a placeholder", |p| {
        !p.starts_with('%')
            && !["password", "pass", "passwd", "secret"].contains(&p.to_ascii_lowercase().as_str())
            && !p.chars().all(|c| matches!(c, 'x' | 'X'))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn email_masks(local in "[a-zA-Z0-9][a-zA-Z0-9._+-]{0,15}[a-zA-Z0-9]", host in "[a-z0-9]{1,12}(\\.[a-z0-9]{1,10})?", tld in prop::sample::select(vec!["com", "org", "net", "io", "de", "co", "example", "travel", "museum"])) {
        let s = format!("{local}@{host}.{tld}");
        let at = local.len();
        let dot = s.rfind('.').unwrap();
        check_mask(Email, &s, &[(1, at), (at + 2, dot)], "***@***")?;
        let found = Detectors::all().scan("Owner", &s);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].detector, Email);
        prop_assert_eq!(found[0].span.clone(), 0..s.len());
        assert_hidden(&s, &found);
    }

    #[test]
    fn card_masks(card in card_number(), spaced in any::<bool>()) {
        let n = card.len();
        check_mask(PaymentCard, &card, &[(4, n - 4)], "")?;
        let value = if spaced && n == 16 {
            format!("{} {} {} {}", &card[..4], &card[4..8], &card[8..12], &card[12..])
        } else {
            card.clone()
        };
        let found = Detectors::all().scan("CardNumber", &value);
        prop_assert_eq!(found.len(), 1, "{} {:?}", value, found);
        prop_assert_eq!(found[0].detector, PaymentCard);
        prop_assert_eq!(found[0].confidence, Confidence::High);
        prop_assert_eq!(&found[0].masked, &mask(PaymentCard, &card));
        assert_hidden(&value, &found);
        prop_assert!(!found[0].masked.contains(&card[4..n - 4]));
    }

    #[test]
    fn access_key_masks(prefix in prop::sample::select(vec!["AKIA", "ASIA"]), rest in "[A-Z2-7]{16}") {
        let s = format!("{prefix}{rest}");
        check_mask(AwsAccessKeyId, &s, &[(4, 16)], "")?;
        let value = format!("legacy key {s} in use");
        let found = Detectors::all().scan("Notes", &value);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].detector, AwsAccessKeyId);
        prop_assert_eq!(found[0].confidence, Confidence::High);
        assert_hidden(&value, &found);
    }

    #[test]
    fn secret_key_masks(s in secret_key(), labelled in any::<bool>()) {
        check_mask(AwsSecretAccessKey, &s, &[(0, 40)], "")?;
        let (key, value) = if labelled {
            ("Description", format!("aws_secret_access_key={s}"))
        } else {
            ("SecretAccessKey", s.clone())
        };
        let found = Detectors::all().scan(key, &value);
        prop_assert!(found.iter().any(|f| f.detector == AwsSecretAccessKey && f.confidence == Confidence::High), "{:?}", found);
        assert_hidden(&value, &found);
    }

    #[test]
    fn url_credentials_mask(scheme in prop::sample::select(vec!["https", "postgres", "redis", "mongodb+srv", "ftp"]), user in "[a-z]{0,8}", pass in password(), host in "[a-z]{2,10}(\\.[a-z]{2,8}){1,2}", port in prop::option::of(1u16..65535), path in "(/[a-z0-9]{1,8}){0,2}") {
        let authority = match port { Some(p) => format!("{host}:{p}"), None => host.clone() };
        let s = format!("{scheme}://{user}:{pass}@{authority}{path}");
        let a = scheme.len() + 3;
        let at = a + user.len() + 1 + pass.len();
        check_mask(UrlCredentials, &s, &[(a, at), (at + 1 + authority.len(), s.len())], "://***:***@")?;
        let found = Detectors::all().scan("ConnectionString", &s);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].detector, UrlCredentials);
        prop_assert_eq!(&found[0].masked, &format!("{scheme}://***:***@{authority}"));
        assert_hidden(&s, &found);
        if !format!("{scheme}{authority}").contains(&pass) {
            prop_assert!(!found[0].masked.contains(&pass));
        }
    }

    #[test]
    fn account_id_masks(id in "[0-9]{12}", arn in any::<bool>(), key in prop::sample::select(vec!["AccountId", "OwnerId", "owner", "RequesterId", "registryId", "payer"])) {
        check_mask(AwsAccountId, &id, &[(0, 8)], "")?;
        let (key, value) = if arn {
            ("Role", format!("arn:aws:iam::{id}:role/deployer"))
        } else {
            (key, id.clone())
        };
        let found = Detectors::all().scan(key, &value);
        prop_assert_eq!(found.is_empty(), arn, "{:?}", found);
        let report = Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
        let found = report.scan(key, &value);
        prop_assert!(found.iter().any(|f| f.detector == AwsAccountId && f.in_identifier == arn), "{:?}", found);
        prop_assert!(found.iter().all(|f| !f.masked.contains(&id[..8])));
        assert_hidden(&value, &found);
    }

    #[test]
    fn phone_masks(cc in "[1-9][0-9]?", rest in "[0-9]{7,10}", ext in prop::option::of(("[ ]?(x|ext\\. |ext )", "[0-9]{1,5}"))) {
        let s = match ext {
            Some((word, digits)) => format!("+{cc} {rest}{word}{digits}"),
            None => format!("+{cc} {rest}"),
        };
        // Everything but the `+` and the last two digits is hidden.
        let kept = s.rmatch_indices(|c: char| c.is_ascii_digit()).nth(1).unwrap().0;
        check_mask(PhoneNumber, &s, &[(1, kept)], "")?;
        let found = Detectors::all().scan("MobilePhone", &s);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].detector, PhoneNumber);
        assert_hidden(&s, &found);
    }

    #[test]
    fn private_key_masks(kind in prop::sample::select(vec!["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]), body in "[A-Za-z0-9+/]{16,200}") {
        let header = format!("-----BEGIN {kind}-----");
        let s = format!("{header}\n{body}\n-----END {kind}-----");
        check_mask(PrivateKey, &s, &[(header.len(), header.len() + 1 + body.len())], " [redacted]")?;
        let found = Detectors::all().scan("Notes", &s);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].detector, PrivateKey);
        prop_assert_eq!(&found[0].masked, &format!("{header} [redacted]"));
        assert_hidden(&s, &found);
    }

    #[test]
    fn session_credentials_mask(name in prop::sample::select(vec!["X-Amz-Signature", "X-Amz-Security-Token", "AWS_SESSION_TOKEN", "x-amz-signature"]), token in "[A-Za-z0-9%]{40,300}", bare in any::<bool>()) {
        let token = format!("Ab1{token}");
        let s = format!("{name}={token}");
        let n = name.len();
        check_mask(AwsSessionCredentials, &s, &[(n + 1, s.len())], "=***")?;
        let value = format!("https://b.s3.amazonaws.com/k?X-Amz-Date=20240517T093512Z&{s}&x=1");
        let found = Detectors::all().scan("Url", &value);
        prop_assert_eq!(found.len(), 1, "{:?}", found);
        prop_assert_eq!(found[0].detector, AwsSessionCredentials);
        prop_assert_eq!(&found[0].masked, &format!("{name}=***"));
        assert_hidden(&value, &found);
        prop_assert!(!describe(&found).contains(&token[3..20]));
        if bare && !token.contains('%') {
            let t = format!("IQoJb3JpZ2lu{token}{token}");
            check_mask(AwsSessionCredentials, &t, &[(4, t.len())], "***")?;
            let found = Detectors::all().scan("Notes", &t);
            prop_assert_eq!(found.len(), 1, "{:?}", found);
            prop_assert_eq!(&found[0].masked, "IQoJ***");
            assert_hidden(&t, &found);
        }
    }

    #[test]
    fn evidence_holds_only_masks(key in "\\PC{0,20}", value in "\\PC{0,120}") {
        let d = Detectors::all().with_account_ids_in_identifiers(AccountIdsInIdentifiers::Report);
        let found = d.scan(&key, &value);
        let text = describe(&found);
        for f in &found {
            let raw = &value[f.span.clone()];
            prop_assert!(!text.contains(raw), "{:?} in {:?}", raw, text);
        }
        assert_hidden(&value, &found);
    }

    #[test]
    fn scanning_never_panics_and_hides_what_it_finds(key in "\\PC{0,20}", value in "\\PC{0,120}") {
        let found = Detectors::all().scan(&key, &value);
        for f in &found {
            prop_assert!(value.get(f.span.clone()).is_some());
        }
        assert_hidden(&value, &found);
    }

    #[test]
    fn masks_are_never_the_input(d in prop::sample::select(DetectorId::ALL.to_vec()), s in "\\PC{0,60}") {
        prop_assert_ne!(mask(d, &s), s);
    }
}
