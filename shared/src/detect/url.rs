//! The `url-credentials` detector.

use super::Candidate;
use super::context::find;
use crate::detection::{Confidence, DetectorId};

pub(super) fn scan_url_credentials(v: &[u8], out: &mut Vec<Candidate>) {
    let n = v.len();
    let mut from = 0;
    // Where the last match ended: a scheme never reaches back into it.
    let mut last_end = 0;
    while let Some(sep) = find(v, b"://", from) {
        from = sep + 3;
        let mut s = sep;
        while s > last_end
            && (v[s - 1].is_ascii_alphanumeric() || matches!(v[s - 1], b'+' | b'.' | b'-'))
        {
            s -= 1;
        }
        while s < sep && !v[s].is_ascii_alphabetic() {
            s += 1;
        }
        // No scheme: not a URL, unless the last match's host ran into this
        // one's scheme (`…@cache.localredis://app:pw@…`), whose password is
        // then found all the same.
        if s == sep && !(last_end > 0 && sep == last_end) {
            continue;
        }
        let a = sep + 3;
        let mut e = a;
        while e < n
            && !v[e].is_ascii_whitespace()
            && !matches!(v[e], b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`')
        {
            e += 1;
        }
        let Some(at) = v[a..e].iter().rposition(|&b| b == b'@').map(|p| p + a) else {
            continue;
        };
        // The authority ran into the next URL (`…@host` then `redis://`):
        // that URL's `://` is not this host's port separator.
        if e > at + 1 && v[e - 1] == b':' && v[e..].starts_with(b"//") {
            e -= 1;
        }
        let Some(colon) = v[a..at].iter().position(|&b| b == b':').map(|p| p + a) else {
            continue;
        };
        // Trailing punctuation belongs to the sentence, not the host.
        while e > at + 1 && matches!(v[e - 1], b'.' | b',' | b';' | b')' | b'!') {
            e -= 1;
        }
        let host = &v[at + 1..e];
        let host_ok = !host.is_empty()
            && (host[0].is_ascii_alphanumeric() || host[0] == b'[')
            && host.iter().all(|&b| {
                b.is_ascii_alphanumeric()
                    || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']' | b'%')
            });
        if !host_ok {
            continue;
        }
        let Some(confidence) = password_confidence(&v[colon + 1..at]) else {
            continue;
        };
        out.push(Candidate::new(DetectorId::UrlCredentials, confidence, s, e));
        from = e;
        last_end = e;
    }
}

/// `None` for an empty, templated or already-masked password; `Low` for a
/// placeholder word; `High` otherwise.
///
/// A password may be percent-encoded (`p%40ss`, `%21secret`): a `%` and two
/// hex digits is an encoded byte, while `%NAME%` is a Windows-style variable.
fn password_confidence(p: &[u8]) -> Option<Confidence> {
    let encoded = |i: usize| {
        p.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && p.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    };
    let templated = p.is_empty()
        || matches!(p[0], b'$' | b'{' | b'<')
        || (p[0] == b'%' && !encoded(0))
        || p.iter()
            .all(|&b| matches!(b, b'*' | b'x' | b'X' | b'.' | b'#'));
    if templated {
        return None;
    }
    let placeholder = [&b"password"[..], b"pass", b"passwd", b"pwd", b"secret"]
        .iter()
        .any(|w| p.eq_ignore_ascii_case(w));
    Some(if placeholder {
        Confidence::Low
    } else {
        Confidence::High
    })
}
