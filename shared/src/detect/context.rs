//! What the scanners share: the keyword context of a key or in-value label
//! ([`Hints`]) and small byte helpers.

use crate::detection::Confidence;
use std::cell::Cell;

/// The value and its key, with the key's keyword hints computed on first use.
pub(super) struct Ctx<'a> {
    pub(super) v: &'a [u8],
    pub(super) key: &'a [u8],
    pub(super) key_hints: Cell<Option<Hints>>,
}

impl Ctx<'_> {
    pub(super) fn key_hints(&self) -> Hints {
        if let Some(h) = self.key_hints.get() {
            return h;
        }
        let h = Hints::of(self.key);
        self.key_hints.set(Some(h));
        h
    }

    /// The key's hints merged with those of a label just before `start`.
    pub(super) fn hints_at(&self, start: usize) -> Hints {
        self.key_hints().or(label_hints(self.v, start))
    }
}

/// What a key, field name or in-value label suggests the value holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Hints {
    /// `account`, `acct`.
    pub(super) account: bool,
    /// Names AWS APIs give account fields: `OwnerId`, `RequesterId`,
    /// `registryId`, `payer`, `Principal` (weaker: a phone name beside
    /// them wins).
    pub(super) owner: bool,
    /// `High` for `secret` / `access … key` names, `Medium` for other
    /// key-like names.
    pub(super) secret: Option<Confidence>,
    pub(super) phone: bool,
    pub(super) card: bool,
    /// `session … token`, `security … token`.
    pub(super) session: bool,
}

impl Hints {
    /// One pass over the lower-cased name: keywords are matched anywhere
    /// (`awsaccountid`, `SecretKey`), short ones only as whole words (`tel`,
    /// `cc`, `key`) so that `hotel` or `monkey` suggest nothing.
    pub(super) fn of(name: &[u8]) -> Self {
        let n = name.len().min(128);
        if n == 0 {
            return Self::default();
        }
        let mut buf = [0u8; 128];
        for (d, s) in buf.iter_mut().zip(&name[..n]) {
            *d = s.to_ascii_lowercase();
        }
        let low = &buf[..n];
        let (mut account, mut strong, mut access, mut key, mut weak, mut public) =
            (false, false, false, false, false, false);
        let (mut phone, mut card, mut owner) = (false, false, false);
        let (mut session, mut token) = (false, false);
        for i in 0..n {
            let r = &low[i..];
            let at = |w: &[u8]| r.starts_with(w);
            match r[0] {
                b'a' => {
                    account |= at(b"account") || at(b"acct");
                    access |= at(b"access");
                    weak |= at(b"apikey");
                    card |= at(b"amex");
                }
                b'c' => {
                    weak |= at(b"credential");
                    phone |= at(b"contact");
                    card |= at(b"card") || at(b"credit");
                }
                b'd' => card |= at(b"debit"),
                b'k' => key |= at(b"key"),
                b'o' => owner |= at(b"owner") || at(b"owning"),
                b'm' => {
                    phone |= at(b"mobile") || at(b"msisdn");
                    card |= at(b"mastercard") || at(b"maestro");
                }
                b'p' => {
                    weak |= at(b"passwd") || at(b"password") || at(b"passphrase");
                    public |= at(b"public");
                    phone |= at(b"phone");
                    card |= at(b"payment");
                    owner |= at(b"payer") || at(b"principal");
                }
                b'r' => owner |= at(b"requester") || at(b"registry"),
                b's' => {
                    strong |= at(b"secret");
                    session |= at(b"session") || at(b"security");
                }
                b't' => token |= at(b"token"),
                b'v' => card |= at(b"visa"),
                b'w' => phone |= at(b"whatsapp"),
                _ => {}
            }
        }
        any_word(name, |w| {
            let is = |x: &[u8]| w.eq_ignore_ascii_case(x);
            match w.len() {
                2 => card |= is(b"cc"),
                3 if is(b"jcb") || is(b"pay") => card = true,
                4 if is(b"paid") => card = true,
                3 => {
                    weak |= is(b"key") || is(b"pwd");
                    phone |= is(b"tel") || is(b"fax") || is(b"sms") || is(b"mob");
                    card |= is(b"ccn") || is(b"pan");
                }
                4 => {
                    weak |= is(b"pass") || is(b"auth");
                    phone |= is(b"cell") || is(b"call");
                }
                _ => {}
            }
            false
        });
        weak |= token;
        let secret = if public {
            None
        } else if strong || (access && key) {
            Some(Confidence::High)
        } else if weak {
            Some(Confidence::Medium)
        } else {
            None
        };
        Self {
            account,
            owner,
            secret,
            phone,
            card,
            session: session && token,
        }
    }

    fn or(self, other: Hints) -> Hints {
        Hints {
            account: self.account || other.account,
            owner: self.owner || other.owner,
            secret: self.secret.max(other.secret),
            phone: self.phone || other.phone,
            card: self.card || other.card,
            session: self.session || other.session,
        }
    }

    /// Whether 12 digits here are an account id: an account name, or an
    /// owner-like name that is not also a phone name.
    pub(super) fn account_id(self) -> bool {
        self.account || (self.owner && !self.phone)
    }
}

/// Hints from a label written just before `start` in the value, as in
/// `aws_secret_access_key = …`, `Account ID: …`, `tel:+44…`, or JSON,
/// escaped or not (`\"awsAccountId\":\"…`): up to six separator bytes
/// (` =:"'#\`), then up to 40 bytes of words.
pub(super) fn label_hints(v: &[u8], start: usize) -> Hints {
    let mut i = start;
    let mut skipped = 0;
    while i > 0
        && skipped < 6
        && matches!(
            v[i - 1],
            b' ' | b'\t' | b'=' | b':' | b'"' | b'\'' | b'#' | b'\\'
        )
    {
        i -= 1;
        skipped += 1;
    }
    let end = i;
    while i > 0
        && end - i < 40
        && (v[i - 1].is_ascii_alphanumeric() || matches!(v[i - 1], b'_' | b'-' | b' '))
    {
        i -= 1;
    }
    if i == end {
        return Hints::default();
    }
    Hints::of(&v[i..end])
}

/// Calls `f` on each word of a name: split at anything not alphanumeric, at
/// camelCase humps (`AWSAccountId` → `AWS`, `Account`, `Id`) and between
/// letters and digits. Returns whether `f` returned true for any word.
pub(super) fn any_word(s: &[u8], mut f: impl FnMut(&[u8]) -> bool) -> bool {
    let n = s.len();
    let mut i = 0;
    while i < n {
        while i < n && !s[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        i += 1;
        while i < n && s[i].is_ascii_alphanumeric() {
            let (p, c) = (s[i - 1], s[i]);
            let hump = (p.is_ascii_lowercase() && c.is_ascii_uppercase())
                || (p.is_ascii_uppercase()
                    && c.is_ascii_uppercase()
                    && i + 1 < n
                    && s[i + 1].is_ascii_lowercase())
                || (p.is_ascii_digit() != c.is_ascii_digit());
            if hump {
                break;
            }
            i += 1;
        }
        if f(&s[start..i]) {
            return true;
        }
    }
    false
}

/// The first `needle` in `hay` at or after `from`.
pub(super) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    let mut i = from;
    while i <= last {
        i += hay[i..=last].iter().position(|&b| b == needle[0])?;
        if hay[i..].starts_with(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The next run of bytes that are all `is`, at or after `from`: its start
/// and its end, or `None` when there is none.
pub(super) fn run_from(v: &[u8], from: usize, is: impl Fn(u8) -> bool) -> Option<(usize, usize)> {
    let start = from + v.get(from..)?.iter().position(|&b| is(b))?;
    let len = v[start..]
        .iter()
        .position(|&b| !is(b))
        .unwrap_or(v.len() - start);
    Some((start, start + len))
}

pub(super) fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

pub(super) fn alnum_at(v: &[u8], i: usize) -> bool {
    v.get(i).is_some_and(u8::is_ascii_alphanumeric)
}

/// A dotted domain name: at least two labels of `A-Za-z0-9-` (1–63 bytes,
/// no leading or trailing `-`), the last one letters only (2+).
pub(super) fn is_domain(d: &[u8]) -> bool {
    if d.is_empty() || d.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in d.split(|&b| b == b'.') {
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
            || !label
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_humps() {
        let mut words = Vec::new();
        any_word(b"AWSAccountId owner-account x9", |w| {
            words.push(String::from_utf8_lossy(w).into_owned());
            false
        });
        assert_eq!(
            words,
            ["AWS", "Account", "Id", "owner", "account", "x", "9"]
        );
    }

    #[test]
    fn key_hints() {
        assert!(Hints::of(b"AccountId").account);
        assert!(Hints::of(b"aws_account").account);
        assert!(!Hints::of(b"OrderNumber").account);
        assert_eq!(
            Hints::of(b"AWS_SECRET_ACCESS_KEY").secret,
            Some(Confidence::High)
        );
        assert_eq!(Hints::of(b"aws_access_key").secret, Some(Confidence::High));
        assert_eq!(Hints::of(b"ApiKey").secret, Some(Confidence::Medium));
        assert_eq!(Hints::of(b"token").secret, Some(Confidence::Medium));
        assert_eq!(Hints::of(b"public-key").secret, None);
        assert_eq!(Hints::of(b"monkey").secret, None);
        assert!(Hints::of(b"MobilePhone").phone);
        assert!(Hints::of(b"tel").phone);
        assert!(!Hints::of(b"hotel").phone);
        assert!(Hints::of(b"CreditCardNumber").card);
        assert!(Hints::of(b"cc").card);
        assert!(!Hints::of(b"").card);
    }

    #[test]
    fn labels_inside_values() {
        let v = b"aws_secret_access_key = X";
        assert_eq!(label_hints(v, v.len() - 1).secret, Some(Confidence::High));
        let v = b"Account ID: 1";
        assert!(label_hints(v, v.len() - 1).account);
        let v = b"tel:+1";
        assert!(label_hints(v, 4).phone);
        assert_eq!(label_hints(b"1", 0), Hints::default());
    }
}
