//! The one pass over a value that tells each scanner whether it can skip it.

/// What one pass over the value tells the scanners, so most of them can
/// skip a value without looking at it.
pub(super) struct Stats {
    pub(super) digits: usize,
    pub(super) at: bool,
    pub(super) colon: bool,
    pub(super) dash: bool,
    pub(super) eq: bool,
    /// A run of exactly 40 base64 characters exists (a secret key's shape).
    pub(super) run40: bool,
    /// A run of exactly 20 letters and digits exists (an access key id's).
    pub(super) run20: bool,
    /// The longest run of base64 characters (a token's or signature's shape).
    pub(super) b64max: usize,
    pub(super) runs: DigitRuns,
}

/// The shapes of the value's runs of digits, enough to tell whether a card
/// number or an account id can be in it at all.
#[derive(Default)]
pub(super) struct DigitRuns {
    /// A run of exactly 12 (a bare account id).
    twelve: bool,
    /// A run of 13 or more (an ungrouped card number).
    long: bool,
    /// Runs of 3 to 6 (groups of a card number).
    groups: u32,
    /// Runs of exactly 4 (groups of `1234-5678-9012`).
    fours: u32,
}

impl DigitRuns {
    fn end(&mut self, len: usize) {
        match len {
            12 => self.twelve = true,
            13.. => self.long = true,
            3..=6 => {
                self.groups += 1;
                self.fours += u32::from(len == 4);
            }
            _ => {}
        }
    }

    pub(super) fn may_hold_card(&self) -> bool {
        // 12 digits: a short Maestro card.
        self.long || self.twelve || self.groups >= 3
    }

    pub(super) fn may_hold_account(&self) -> bool {
        self.twelve || self.fours >= 3
    }
}

const C_B64: u8 = 1;
const C_ALNUM: u8 = 2;
const C_DIGIT: u8 = 4;
const C_AT: u8 = 8;
const C_COLON: u8 = 16;
const C_DASH: u8 = 32;
const C_EQ: u8 = 64;

/// Character classes for the [`Stats`] pass.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            C_B64 | C_ALNUM | C_DIGIT
        } else if c.is_ascii_alphabetic() {
            C_B64 | C_ALNUM
        } else {
            match c {
                b'+' | b'/' => C_B64,
                b'@' => C_AT,
                b':' => C_COLON,
                b'-' => C_DASH,
                b'=' => C_EQ,
                _ => 0,
            }
        };
        b += 1;
    }
    t
};

impl Stats {
    /// One branch-light pass over the value.
    pub(super) fn of(v: &[u8]) -> Self {
        let (mut flags, mut digits) = (0u8, 0usize);
        let (mut alnum, mut b64, mut run) = (0usize, 0usize, 0usize);
        let (mut run20, mut run40, mut b64max) = (false, false, 0usize);
        let mut runs = DigitRuns::default();
        for &b in v {
            let c = CLASS[usize::from(b)];
            flags |= c;
            if c & C_DIGIT != 0 {
                digits += 1;
                run += 1;
            } else if run > 0 {
                runs.end(run);
                run = 0;
            }
            run20 |= c & C_ALNUM == 0 && alnum == 20;
            alnum = if c & C_ALNUM != 0 { alnum + 1 } else { 0 };
            run40 |= c & C_B64 == 0 && b64 == 40;
            b64 = if c & C_B64 != 0 { b64 + 1 } else { 0 };
            b64max = b64max.max(b64);
        }
        if run > 0 {
            runs.end(run);
        }
        Stats {
            digits,
            at: flags & C_AT != 0,
            colon: flags & C_COLON != 0,
            dash: flags & C_DASH != 0,
            eq: flags & C_EQ != 0,
            b64max,
            run40: run40 || b64 == 40,
            run20: run20 || alnum == 20,
            runs,
        }
    }
}
