//! The `aws-session-credentials` detector: what lets anyone act as an AWS
//! principal for a while without its long-term keys — the signature,
//! credential scope and session token of a presigned URL, and STS session
//! tokens.

use super::Candidate;
use super::context::{Ctx, is_b64, run_from};
use super::stats::Stats;
use crate::detection::{Confidence, DetectorId};

/// Whether the value can hold session credentials at all: a signature or
/// token-sized run, a name that can lead one (`X-Amz-…`, `…token`) beside a
/// `=` or `:`, an access key id beside a `=` (a SigV2 presigned URL), or a
/// session-token key.
pub(super) fn may_hold(cx: &Ctx<'_>, stats: &Stats) -> bool {
    stats.b64max >= 64
        || (stats.eq && stats.run20)
        || (stats.b64max > 40 && cx.key_hints().session)
        || ((stats.eq || stats.colon) && stats.b64max >= 16 && names_a_credential(cx.v))
}

/// `amz-` or `oken` somewhere, in any case.
fn names_a_credential(v: &[u8]) -> bool {
    v.windows(4).any(|w| {
        let l = [w[0] | 0x20, w[1] | 0x20, w[2] | 0x20, w[3]];
        l == *b"amz-" || (l[..3] == *b"oke" && w[3] | 0x20 == b'n')
    })
}

/// What a parameter or label name says its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    /// `X-Amz-Signature`; `Signature` beside `AWSAccessKeyId` (SigV2).
    Signature,
    /// `X-Amz-Credential`: the access key id and the credential scope.
    Credential,
    /// `X-Amz-Security-Token`, `aws_session_token`, `SessionToken`.
    Token,
}

/// Session tokens as STS issues them start with one of these (the base64
/// of their binary header).
const TOKEN_PREFIXES: [&[u8]; 5] = [
    b"IQoJb3JpZ2lu",
    b"AgoJb3JpZ2lu",
    b"FwoGZXIvYXdz",
    b"FQoGZXIvYXdz",
    b"AQoDYXdz",
];

fn is_value_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'%' | b'+' | b'/' | b'=' | b'.' | b'_' | b'~' | b'-')
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

pub(super) fn scan_session_credentials(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
    let v = cx.v;
    let n = v.len();
    let first = out.len();
    let mut sigv2: Option<bool> = None;
    // Named values: `NAME=value`, `NAME: value`, `"NAME": "value"`.
    let mut i = 0;
    while i < n {
        if !matches!(v[i], b'=' | b':') {
            i += 1;
            continue;
        }
        let sep = i;
        i += 1;
        let Some((start, param)) = name_before(v, sep) else {
            continue;
        };
        if param == Param::Signature
            && v[start..sep].eq_ignore_ascii_case(b"Signature")
            && !*sigv2.get_or_insert_with(|| v.windows(15).any(|w| w == b"AWSAccessKeyId="))
        {
            continue;
        }
        let mut vs = sep + 1;
        while vs < n && vs - sep <= 3 && matches!(v[vs], b' ' | b'"' | b'\\') {
            vs += 1;
        }
        let mut ve = vs;
        while ve < n && is_value_byte(v[ve]) {
            ve += 1;
        }
        let value = &v[vs..ve];
        let ok = match param {
            Param::Signature => value.len() >= 16,
            Param::Credential => {
                value.len() >= 20
                    && (value.contains(&b'/')
                        || value.windows(3).any(|w| w.eq_ignore_ascii_case(b"%2F")))
            }
            Param::Token => value.len() >= 40,
        };
        if ok {
            out.push(Candidate::new(
                DetectorId::AwsSessionCredentials,
                Confidence::High,
                start,
                ve,
            ));
            i = ve;
        }
    }
    // Bare session tokens: a known prefix, or any random-looking run longer
    // than 40 under a session-token key.
    let mut i = 0;
    while let Some((s, end)) = run_from(v, i, is_b64) {
        i = end;
        // Padding ends a token; it never joins a name to a value.
        while i < n && v[i] == b'=' && i - s >= 40 && !v.get(i + 1).is_some_and(|&b| is_b64(b)) {
            i += 1;
        }
        if s > 0 && v[s - 1].is_ascii_alphanumeric() {
            continue;
        }
        let run = &v[s..i];
        let known = run.len() >= 100 && TOKEN_PREFIXES.iter().any(|p| run.starts_with(p));
        // Longer than a secret access key (exactly 40), which may sit beside.
        let keyed = run.len() > 40 && cx.key_hints().session && mixed(run);
        let taken = out[first..].iter().any(|c| c.start < i && s < c.end);
        if (known || keyed) && !taken {
            out.push(Candidate::new(
                DetectorId::AwsSessionCredentials,
                Confidence::High,
                s,
                i,
            ));
        }
    }
}

/// The parameter or label name that ends just before the separator at
/// `sep` (skipping a closing quote), if it names session credentials.
fn name_before(v: &[u8], sep: usize) -> Option<(usize, Param)> {
    let mut e = sep;
    while e > 0 && sep - e < 2 && matches!(v[e - 1], b'"' | b'\\') {
        e -= 1;
    }
    let mut s = e;
    while s > 0 && e - s < 40 && is_name_byte(v[s - 1]) {
        s -= 1;
    }
    if s == e || (s > 0 && is_name_byte(v[s - 1])) {
        return None;
    }
    let mut buf = [0u8; 40];
    let mut len = 0;
    for &b in &v[s..e] {
        if b != b'-' && b != b'_' {
            buf[len] = b.to_ascii_lowercase();
            len += 1;
        }
    }
    let param = match &buf[..len] {
        b"xamzsignature" | b"signature" => Param::Signature,
        b"xamzcredential" => Param::Credential,
        b"xamzsecuritytoken" | b"awssessiontoken" | b"sessiontoken" | b"awssecuritytoken"
        | b"securitytoken" => Param::Token,
        _ => return None,
    };
    Some((s, param))
}

/// Upper and lower case and digits: a token, not a word or a hex digest.
fn mixed(w: &[u8]) -> bool {
    w.iter().any(u8::is_ascii_uppercase)
        && w.iter().any(u8::is_ascii_lowercase)
        && w.iter().any(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let at = |v: &[u8]| name_before(v, v.iter().position(|&b| b == b'=' || b == b':').unwrap());
        assert_eq!(at(b"X-Amz-Signature=ab"), Some((0, Param::Signature)));
        assert_eq!(at(b"&x-amz-credential=ab"), Some((1, Param::Credential)));
        assert_eq!(at(b"AWS_SESSION_TOKEN=ab"), Some((0, Param::Token)));
        assert_eq!(at(b"\"SessionToken\": \"ab"), Some((1, Param::Token)));
        assert_eq!(at(b"Token=ab"), None);
        assert_eq!(at(b"=ab"), None);
    }
}
