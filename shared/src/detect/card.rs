//! The `payment-card` detector.

use super::Candidate;
use super::context::{Ctx, alnum_at, run_from};
use crate::detection::{Confidence, DetectorId};

pub(super) fn scan_card(cx: &Ctx<'_>, out: &mut Vec<Candidate>) {
    let v = cx.v;
    let n = v.len();
    let mut i = 0;
    while let Some((s, _)) = run_from(v, i, |b| b.is_ascii_digit()) {
        let left_ok =
            s == 0 || !(v[s - 1].is_ascii_alphanumeric() || matches!(v[s - 1], b'.' | b','));
        // Digit groups separated by one consistent separator (` ` or `-`).
        let mut groups: [(usize, usize); 8] = [(0, 0); 8];
        let mut count = 0;
        let mut sep = 0u8;
        let mut j = s;
        loop {
            let g = j;
            while j < n && v[j].is_ascii_digit() {
                j += 1;
            }
            groups[count] = (g, j);
            count += 1;
            let next_sep = v.get(j).copied();
            match next_sep {
                Some(b @ (b' ' | b'-'))
                    if count < groups.len()
                        && (sep == 0 || sep == b)
                        && v.get(j + 1).is_some_and(u8::is_ascii_digit) =>
                {
                    sep = b;
                    j += 1;
                }
                _ => break,
            }
        }
        let run_end = groups[count - 1].1;
        if left_ok && let Some((end, confidence)) = card_in_groups(cx, &groups[..count], s) {
            out.push(Candidate::new(DetectorId::PaymentCard, confidence, s, end));
            i = end;
            continue;
        }
        i = run_end;
    }
}

/// The longest run of leading groups that forms a card number.
fn card_in_groups(
    cx: &Ctx<'_>,
    groups: &[(usize, usize)],
    s: usize,
) -> Option<(usize, Confidence)> {
    let v = cx.v;
    for k in (1..=groups.len()).rev() {
        let gs = &groups[..k];
        let total: usize = gs.iter().map(|(a, b)| b - a).sum();
        if !(12..=19).contains(&total) {
            continue;
        }
        if k > 1 && !gs.iter().all(|(a, b)| (3..=6).contains(&(b - a))) {
            continue;
        }
        let end = gs[k - 1].1;
        // Not followed by a letter or digit, nor by a decimal part.
        let decimal = matches!(v.get(end), Some(b'.' | b','))
            && v.get(end + 1).is_some_and(u8::is_ascii_digit);
        if alnum_at(v, end) || decimal {
            continue;
        }
        let mut digits = [0u8; 19];
        let mut len = 0;
        for &(a, b) in gs {
            for &d in &v[a..b] {
                digits[len] = d - b'0';
                len += 1;
            }
        }
        let digits = &digits[..len];
        // Twelve digits (a short Maestro) are as common as other numbers of
        // that length (UPC barcodes): only with a card keyword.
        if luhn(digits) && card_network(digits) && (len > 12 || cx.hints_at(s).card) {
            let confidence = if cx.hints_at(s).card {
                Confidence::High
            } else {
                Confidence::Medium
            };
            return Some((end, confidence));
        }
    }
    None
}

/// The Luhn checksum.
pub(super) fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether the number starts with a card network's prefix and has one of
/// that network's lengths.
fn card_network(d: &[u8]) -> bool {
    let len = d.len();
    let p2 = u32::from(d[0]) * 10 + u32::from(d[1]);
    let p4 = p2 * 100 + u32::from(d[2]) * 10 + u32::from(d[3]);
    if len == 12 {
        // Maestro only (5018, 5020, 5038, 5893, 6304, 6759, 6761–6763…).
        return matches!(p2, 50 | 56..=58 | 63 | 67) || p4 == 604;
    }
    match d[0] {
        0 => p4 == 604,                                    // Maestro
        1 => p4 == 1800 && len == 15,                      // JCB (legacy)
        2 if p4 == 2131 => len == 15,                      // JCB (legacy)
        4 => matches!(len, 13 | 16 | 19),                  // Visa
        5 if (51..=55).contains(&p2) => len == 16,         // Mastercard
        5 => matches!(p2, 50 | 56..=58) && len >= 13,      // Maestro
        2 if (2221..=2720).contains(&p4) => len == 16,     // Mastercard 2-series
        2 => (2200..=2204).contains(&p4) && len >= 16,     // Mir
        3 if p2 == 34 || p2 == 37 => len == 15,            // Amex
        3 if p2 == 35 => len >= 16, // JCB (3528–3589 issued; test numbers use all of 35)
        3 => matches!(p2, 30 | 36 | 38 | 39) && len >= 14, // Diners
        6 => len >= 13,             // Discover, UnionPay, Maestro, RuPay
        8 => matches!(p2, 81 | 82) && len >= 16, // UnionPay, RuPay
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_networks() {
        let d = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn(&d("4111111111111111")));
        assert!(!luhn(&d("4111111111111112")));
        assert!(card_network(&d("4111111111111111")));
        assert!(card_network(&d("378282246310005")));
        assert!(!card_network(&d("1704067200000")));
        assert!(!card_network(&d("0000000000000000")));
    }
}
