//! Exemptions: a resource tagged `warden:exempt` is left alone for the rules
//! the tag names, until an optional expiry date.
//!
//! The value lists rule names or `all`, separated by spaces, commas or `+`
//! (S3 tag values may not contain commas), and optionally `until=YYYY-MM-DD`:
//! `tls-required tls-version until=2027-01-31`. The exemption holds through
//! the whole of its last day (UTC). A value Warden cannot read exempts nothing:
//! a typo must never switch a control off.

use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date (UTC), enough to compare expiries without a date crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists in that month.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        ((1..=12).contains(&date.month)
            && (1..=days_in_month(date.year, date.month)).contains(&date.day))
        .then_some(date)
    }

    pub fn today() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// Howard Hinnant's `civil_from_days`.
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Which rules an exemption tag switches off today.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Exemption {
    /// No tag, an expired tag, or a tag Warden cannot read.
    #[default]
    None,
    All,
    Rules(Vec<String>),
}

/// Why a tag value exempts nothing, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    Expired(Date),
    Unreadable(String),
}

impl Exemption {
    /// Reads a tag value as of `today`.
    pub fn from_tag(value: &str, today: Date) -> Result<Self, Ignored> {
        let mut rules = Vec::new();
        let mut until = None;
        for token in value
            .split(|c: char| c.is_whitespace() || c == ',' || c == '+')
            .filter(|t| !t.is_empty())
        {
            if let Some(date) = token.strip_prefix("until=") {
                until = Some(Date::parse(date).ok_or_else(|| {
                    Ignored::Unreadable(format!("`{token}` is not until=YYYY-MM-DD"))
                })?);
            } else if token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
            {
                rules.push(token.to_ascii_lowercase());
            } else {
                return Err(Ignored::Unreadable(format!("`{token}` is not a rule name")));
            }
        }
        if rules.is_empty() {
            return Err(Ignored::Unreadable(
                "no rule names (use `all` or rule names)".into(),
            ));
        }
        if let Some(until) = until.filter(|until| today > *until) {
            return Err(Ignored::Expired(until));
        }
        if rules.iter().any(|r| r == "all") {
            Ok(Exemption::All)
        } else {
            Ok(Exemption::Rules(rules))
        }
    }

    pub fn covers(&self, rule: &str) -> bool {
        match self {
            Exemption::None => false,
            Exemption::All => true,
            Exemption::Rules(rules) => rules.iter().any(|r| r == rule),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 23,
    };

    #[test]
    fn dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(20_415).to_string(),
            "2025-11-23"
        );
        assert_eq!(
            Date::from_days_since_epoch(11_016).to_string(),
            "2000-02-29"
        );
        assert_eq!(
            Date::parse("2028-02-29").map(|d| d.to_string()).as_deref(),
            Some("2028-02-29")
        );
        for bad in [
            "2027-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01-01",
            "soon",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn rule_lists_and_all() {
        assert_eq!(
            Exemption::from_tag("tls-required, TLS-version", TODAY),
            Ok(Exemption::Rules(vec![
                "tls-required".into(),
                "tls-version".into()
            ]))
        );
        assert_eq!(Exemption::from_tag("all", TODAY), Ok(Exemption::All));
        assert_eq!(
            Exemption::from_tag("default-encryption+all", TODAY),
            Ok(Exemption::All)
        );
        let e = Exemption::from_tag("tls-version", TODAY).unwrap();
        assert!(e.covers("tls-version") && !e.covers("tls-required"));
    }

    #[test]
    fn expiry_is_inclusive_of_the_last_day() {
        assert_eq!(
            Exemption::from_tag("all until=2026-11-23", TODAY),
            Ok(Exemption::All)
        );
        assert_eq!(
            Exemption::from_tag("all until=2026-11-22", TODAY),
            Err(Ignored::Expired(Date::parse("2026-11-22").unwrap()))
        );
    }

    #[test]
    fn unreadable_values_exempt_nothing() {
        for value in [
            "",
            "until=2030-01-01",
            "all until=someday",
            "all;drop",
            "   ",
        ] {
            assert!(
                matches!(
                    Exemption::from_tag(value, TODAY),
                    Err(Ignored::Unreadable(_))
                ),
                "{value:?}"
            );
        }
    }
}
