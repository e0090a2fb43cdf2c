//! The `email` detector.

use super::Candidate;
use super::context::is_domain;
use crate::detection::{Confidence, DetectorId};

/// Extensions that make `name@2x.png` a file name, not an address (none of
/// them is a real top-level domain).
const FILE_EXTENSIONS: [&[u8]; 24] = [
    b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"bmp", b"ico", b"pdf", b"txt", b"json",
    b"yaml", b"yml", b"toml", b"csv", b"tgz", b"gz", b"bz2", b"xz", b"js", b"ts", b"css", b"html",
    b"lock",
];

fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

pub(super) fn scan_email(v: &[u8], out: &mut Vec<Candidate>) {
    let n = v.len();
    let mut floor = 0; // no match may start before the end of the previous one
    let mut at = 0;
    while let Some(pos) = v[at..].iter().position(|&b| b == b'@') {
        at += pos;
        let next = at + 1;
        if let Some(end) = email_at(v, at, floor) {
            out.push(Candidate::new(
                DetectorId::Email,
                Confidence::High,
                end.0,
                end.1,
            ));
            floor = end.1;
            at = end.1;
        } else {
            at = next;
        }
        if at >= n {
            break;
        }
    }
}

/// The span of an email address around the `@` at `at`, if it is one.
fn email_at(v: &[u8], at: usize, floor: usize) -> Option<(usize, usize)> {
    let n = v.len();
    let mut s = at;
    while s > floor && is_local_char(v[s - 1]) {
        s -= 1;
    }
    while s < at && matches!(v[s], b'.' | b'-' | b'+') {
        s += 1;
    }
    if s == at || at - s > 64 || v[at - 1] == b'.' {
        return None;
    }
    let mut e = at + 1;
    while e < n && (v[e].is_ascii_alphanumeric() || matches!(v[e], b'.' | b'-')) {
        e += 1;
    }
    while e > at + 1 && matches!(v[e - 1], b'.' | b'-') {
        e -= 1;
    }
    if !is_domain(&v[at + 1..e]) {
        // `jane@example.com2024`: digits glued to the top-level domain end
        // the address, they are not part of it.
        let mut t = e;
        while t > at + 1 && v[t - 1].is_ascii_digit() {
            t -= 1;
        }
        if t == e || !v[t - 1].is_ascii_alphabetic() || !is_domain(&v[at + 1..t]) {
            return None;
        }
        e = t;
    }
    let domain = &v[at + 1..e];
    let tld = &domain[domain.iter().rposition(|&b| b == b'.')? + 1..];
    if FILE_EXTENSIONS.iter().any(|x| tld.eq_ignore_ascii_case(x)) {
        return None;
    }
    // `git@github.com:org/repo.git`: an scp-style SSH remote.
    if v.get(e) == Some(&b':') && v.get(e + 1).is_some_and(|b| !b.is_ascii_whitespace()) {
        return None;
    }
    // `ssh deploy@bastion.example.com`, `ssh -i key.pem -p 2222 ec2-user@host`:
    // a login, not an address.
    if ssh_login(&v[..s]) || ssh_key_comment(&v[..s]) {
        return None;
    }
    // `https://user@host`: URL user-info (credentials are their own detector).
    if in_url_authority(v, s) {
        return None;
    }
    Some((s, e))
}

/// Whether `before` (the text before an address) ends with an ssh-like
/// command and its options: `ssh`, `scp`, `sftp`, `mosh` or `autossh`
/// (a path to them too), then only options (`-i key.pem`, `-p 2222`,
/// `-o StrictHostKeyChecking=no`, `-A`), at most eight words of them.
fn ssh_login(before: &[u8]) -> bool {
    const COMMANDS: [&[u8]; 5] = [b"ssh", b"scp", b"sftp", b"mosh", b"autossh"];
    let mut words = before
        .split(|b| b.is_ascii_whitespace())
        .rev()
        .filter(|w| !w.is_empty());
    // The address must be a word of its own.
    if before.last().is_some_and(|b| !b.is_ascii_whitespace()) {
        return false;
    }
    let mut option_argument = false;
    for _ in 0..9 {
        let Some(w) = words.next() else {
            return false;
        };
        let command = w.rsplit(|&b| b == b'/').next().unwrap_or(w);
        if COMMANDS.iter().any(|c| command.eq_ignore_ascii_case(c)) {
            return true;
        }
        if w[0] == b'-' {
            option_argument = false;
            continue;
        }
        // An option's argument (`key.pem` after `-i`) must be followed by
        // its option, which the next (earlier) word checks.
        if option_argument {
            return false;
        }
        option_argument = true;
    }
    false
}

/// Whether `before` ends with the type and body of an ssh public key
/// (`ssh-ed25519 AAAAC3Nz… `), making what follows its comment, by
/// convention `user@host`: a machine login, not an address.
fn ssh_key_comment(before: &[u8]) -> bool {
    let mut words = before.rsplit(|&b| b == b' ');
    if words.next() != Some(b"") {
        return false;
    }
    let body = words.next().unwrap_or_default();
    let kind = words.next().unwrap_or_default();
    body.len() >= 16
        && body.starts_with(b"AAAA")
        && (kind.starts_with(b"ssh-") || kind.starts_with(b"ecdsa-") || kind.starts_with(b"sk-"))
}

/// Whether position `i` is inside the authority of a URL: `://` occurs
/// earlier in the same blank-free token, with no `/` in between.
fn in_url_authority(v: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && !v[j - 1].is_ascii_whitespace() {
        j -= 1;
        if v[j] == b'/' {
            return j >= 2 && v[j - 1] == b'/' && v[j - 2] == b':';
        }
    }
    false
}
