//! The `aws-account-id` detector, and where AWS itself puts account ids:
//! inside identifiers, where they are not a leak.

use super::Candidate;
use super::context::{Ctx, alnum_at, run_from};
use crate::detection::{Confidence, DetectorId};

pub(super) fn scan_account_id(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
    let v = cx.v;
    let mut i = 0;
    while let Some((s, end)) = run_from(v, i, |b| b.is_ascii_digit()) {
        i = end;
        if s > 0 && v[s - 1].is_ascii_alphanumeric() {
            continue;
        }
        // `1234-5678-9012`, as the console shows it: keyword context only.
        if i - s == 4 && dashed_account_at(v, s) {
            let e = s + 14;
            // Not part of a longer grouped number (a card, a phone).
            let more = (matches!(v.get(e), Some(b'-' | b' ')) && alnum_at(v, e + 1))
                || (s >= 2 && matches!(v[s - 1], b'-' | b' ') && v[s - 2].is_ascii_digit());
            if !alnum_at(v, e) && !more && cx.hints_at(s).account_id() {
                out.push(Candidate::new(
                    DetectorId::AwsAccountId,
                    Confidence::High,
                    s,
                    e,
                ));
                i = e;
            }
            continue;
        }
        if i - s != 12 || alnum_at(v, i) || after_uuid_prefix(v, s) {
            continue;
        }
        if in_identifier(v, s, i) {
            out.push(Candidate::identifier(s, i));
        } else if cx.hints_at(s).account_id() {
            out.push(Candidate::new(
                DetectorId::AwsAccountId,
                Confidence::High,
                s,
                i,
            ));
        }
    }
}

/// `1234-5678-9012` or `1234 5678 9012` at `s`.
fn dashed_account_at(v: &[u8], s: usize) -> bool {
    let Some(w) = v.get(s..s + 14) else {
        return false;
    };
    let sep = w[4];
    matches!(sep, b'-' | b' ')
        && w.iter().enumerate().all(|(k, b)| {
            if k == 4 || k == 9 {
                *b == sep
            } else {
                b.is_ascii_digit()
            }
        })
}

/// Whether `s` follows the first four groups of a UUID
/// (`xxxxxxxx-xxxx-xxxx-xxxx-`), making the digits at `s` its last group.
fn after_uuid_prefix(v: &[u8], s: usize) -> bool {
    if s < 24 {
        return false;
    }
    v[s - 24..s].iter().enumerate().all(|(k, b)| {
        if matches!(k, 8 | 13 | 18 | 23) {
            *b == b'-'
        } else {
            b.is_ascii_hexdigit()
        }
    })
}

// ---------------------------------------------------------------------------
// AWS identifiers

/// Bytes that end an identifier: blanks, quotes, escapes and the
/// punctuation around identifiers in prose, JSON or lists.
fn breaks_token(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\''
                | b'`'
                | b','
                | b';'
                | b'('
                | b')'
                | b'<'
                | b'>'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'\\'
                | b'|'
        )
}

/// Bytes of one name inside an identifier (`cdk-hnb659fds-assets-…-us-east-1`).
fn in_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

/// Names that AWS services and tools generate with the account id inside:
/// buckets, roles, stack sets (`aws-cloudtrail-logs-<id>-<suffix>`,
/// `cdk-hnb659fds-assets-<id>-<region>`, `StackSet-…-<id>`).
const GENERATED_PREFIXES: [&[u8]; 19] = [
    b"aws-",
    b"aws_",
    b"awseb-",
    b"awscontroltower",
    b"awsconfig",
    b"cdk-",
    b"sagemaker-",
    b"elasticbeanstalk-",
    b"codepipeline-",
    b"cf-templates-",
    b"config-bucket-",
    b"stackset-",
    b"stacksets-",
    b"amplify-",
    b"cloudtrail-",
    b"do-not-delete-",
    b"serverlessrepo-",
    b"cloud9-",
    b"athena-",
];

/// Whether the 12 digits at `s..e` are part of an AWS identifier: an ARN
/// (any partition, any field), an AWS service URL or host
/// (`sqs.<region>.amazonaws.com/<id>/…`, `<id>.dkr.ecr.…`,
/// `<id>.signin.aws.amazon.com`), an `AWSLogs/<id>/` log path, or a name
/// that AWS generates: one with an AWS prefix, or with a region beside the
/// id (`sagemaker-us-east-1-<id>`, `<id>_CloudTrail_us-east-1_…`).
pub(super) fn in_identifier(v: &[u8], s: usize, e: usize) -> bool {
    let mut ts = s;
    while ts > 0 && !breaks_token(v[ts - 1]) {
        ts -= 1;
    }
    let mut te = e;
    while te < v.len() && !breaks_token(v[te]) {
        te += 1;
    }
    let token = &v[ts..te];
    let at = s - ts;
    if arn_before(token, at) || aws_host(token) || v[e..].starts_with(b".dkr.ecr.") {
        return true;
    }
    if token[..at].ends_with(b"AWSLogs/") || token[..at].ends_with(b"awslogs/") {
        return true;
    }
    // The name the digits sit in, without `/` or `:` parts.
    let mut ns = s;
    while ns > ts && in_name(v[ns - 1]) {
        ns -= 1;
    }
    let mut ne = e;
    while ne < te && in_name(v[ne]) {
        ne += 1;
    }
    let name = &v[ns..ne];
    if name.len() == 12 {
        return false;
    }
    let generated = GENERATED_PREFIXES
        .iter()
        .any(|p| name.len() > p.len() && name[..p.len()].eq_ignore_ascii_case(p));
    generated || holds_region(name)
}

/// `arn:aws…:` (any partition) starts in `token` before `at`, as a word.
fn arn_before(token: &[u8], at: usize) -> bool {
    let head = &token[..at];
    (0..head.len().saturating_sub(6)).any(|p| {
        head[p..].starts_with(b"arn:aws")
            && (p == 0 || !head[p - 1].is_ascii_alphanumeric())
            && matches!(head.get(p + 7), Some(b':' | b'-'))
    })
}

/// The token names an AWS endpoint: `amazonaws.com` (`.com.cn` too) or
/// `aws.amazon.com` (console sign-in).
fn aws_host(token: &[u8]) -> bool {
    token
        .windows(11)
        .any(|w| w.eq_ignore_ascii_case(b"amazonaws.c"))
        || token
            .windows(15)
            .any(|w| w.eq_ignore_ascii_case(b".aws.amazon.com"))
}

/// Whether a region code (`us-east-1`, `eu-central-2`, `us-gov-west-1`,
/// `cn-north-1`) stands in `name` as a part of its own.
fn holds_region(name: &[u8]) -> bool {
    (0..name.len()).any(|i| {
        (i == 0 || matches!(name[i - 1], b'-' | b'_' | b'.'))
            && region_at(&name[i..]).is_some_and(|end| {
                name.get(i + end)
                    .is_none_or(|b| matches!(b, b'-' | b'_' | b'.'))
            })
    })
}

/// The length of a region code at the start of `w`, if one is there.
fn region_at(w: &[u8]) -> Option<usize> {
    const AREAS: [&[u8]; 10] = [
        b"us", b"eu", b"ap", b"sa", b"ca", b"me", b"af", b"il", b"mx", b"cn",
    ];
    const PARTS: [&[u8]; 14] = [
        b"north",
        b"south",
        b"east",
        b"west",
        b"central",
        b"northeast",
        b"southeast",
        b"northwest",
        b"southwest",
        b"gov",
        b"iso",
        b"isob",
        b"isoe",
        b"isof",
    ];
    let area = w.get(..2)?;
    if !AREAS.iter().any(|a| area.eq_ignore_ascii_case(a)) {
        return None;
    }
    let mut i = 2;
    let mut parts = 0;
    loop {
        if w.get(i) != Some(&b'-') {
            return None;
        }
        i += 1;
        let start = i;
        while w.get(i).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
        }
        if i == start {
            // `-1`: the number ends the code, after one or two parts.
            let digits = w[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            return (parts >= 1 && (1..=2).contains(&digits)).then_some(i + digits);
        }
        if parts == 2 || !PARTS.iter().any(|p| w[start..i].eq_ignore_ascii_case(p)) {
            return None;
        }
        parts += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_in(v: &str) -> bool {
        let b = v.as_bytes();
        let s = (0..b.len())
            .find(|&i| {
                (i == 0 || !b[i - 1].is_ascii_digit())
                    && b[i..].iter().take_while(|c| c.is_ascii_digit()).count() == 12
            })
            .unwrap();
        in_identifier(b, s, s + 12)
    }

    #[test]
    fn identifiers() {
        for v in [
            "arn:aws:iam::123456789012:role/x",
            "arn:aws-iso-b:sns:us-isob-east-1:123456789012:t",
            "arn:aws:s3:::b-123456789012:x",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
            "https://sqs.us-east-1.amazonaws.com/123456789012/q",
            "https://123456789012.signin.aws.amazon.com/console",
            "cdk-hnb659fds-assets-123456789012-us-east-1",
            "sagemaker-us-east-1-123456789012",
            "aws-cloudtrail-logs-123456789012-abcd1234",
            "s3://b/AWSLogs/123456789012/CloudTrail/",
            "123456789012_CloudTrail_us-gov-west-1_20240517T0935Z_a.json.gz",
            "StackSet-AWSControlTowerBP-BASELINE-CONFIG-123456789012",
            "{\\\"Arn\\\":\\\"arn:aws:iam::123456789012:root\\\"}",
        ] {
            assert!(id_in(v), "{v}");
        }
        for v in [
            "123456789012",
            "Account ID: 123456789012",
            "notarn:aws:iam::123456789012:role/x",
            "prod-123456789012",
            "arn 123456789012",
            "see arn:aws:iam::aws:policy/x and 123456789012",
            "order-us-123456789012",
        ] {
            assert!(!id_in(v), "{v}");
        }
    }

    #[test]
    fn regions() {
        assert_eq!(region_at(b"us-east-1"), Some(9));
        assert_eq!(region_at(b"us-gov-west-1-x"), Some(13));
        assert_eq!(region_at(b"ap-southeast-2"), Some(14));
        assert_eq!(region_at(b"eu-1"), None);
        assert_eq!(region_at(b"us-foo-1"), None);
        assert_eq!(region_at(b"xx-east-1"), None);
        assert!(holds_region(b"sagemaker-eu-west-1-123456789012"));
        assert!(!holds_region(b"bus-east-1x"));
    }
}
