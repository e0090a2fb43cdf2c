//! Exemptions: a resource tagged `warden:exempt` is left alone for the rules
//! the tag names, until an optional expiry date.
//!
//! The value lists rule names or `all`, separated by spaces, commas or `+`
//! (S3 tag values may not contain commas), and optionally `until=YYYY-MM-DD`:
//! `tls-required tls-version until=2027-01-31`. The exemption holds through
//! the whole of its last day (UTC). A value Warden cannot read exempts nothing:
//! a typo must never switch a control off.

use time::Date;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const DAY: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Today's date in UTC, which expiries are compared with.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// `YYYY-MM-DD`, the day existing in that month.
fn parse_date(text: &str) -> Option<Date> {
    (text.len() == 10)
        .then(|| Date::parse(text, DAY).ok())
        .flatten()
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
                until = Some(parse_date(date).ok_or_else(|| {
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

    /// This exemption and `rules` besides (a rollback's suppressions are
    /// honoured like an exemption tag).
    pub fn and_rules(self, rules: impl IntoIterator<Item = String>) -> Self {
        let mut extra: Vec<String> = rules.into_iter().collect();
        match self {
            Exemption::All => Exemption::All,
            _ if extra.is_empty() => self,
            Exemption::None => Exemption::Rules(extra),
            Exemption::Rules(mut own) => {
                extra.retain(|rule| !own.contains(rule));
                own.extend(extra);
                Exemption::Rules(own)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressed_rules_join_the_tag_exemption() {
        let rules = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(Exemption::None.and_rules(vec![]), Exemption::None);
        assert_eq!(
            Exemption::None.and_rules(rules(&["tls-required"])),
            Exemption::Rules(rules(&["tls-required"]))
        );
        assert_eq!(
            Exemption::Rules(rules(&["a", "b"])).and_rules(rules(&["b", "c"])),
            Exemption::Rules(rules(&["a", "b", "c"]))
        );
        assert_eq!(Exemption::All.and_rules(rules(&["a"])), Exemption::All);
    }

    const TODAY: Date = time::macros::date!(2026 - 11 - 23);

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2028-02-29").map(|d| d.to_string()).as_deref(),
            Some("2028-02-29")
        );
        for bad in [
            "2027-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01-01",
            "soon",
            "+2026-01-01",
            "2026-01-1 ",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
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
            Err(Ignored::Expired(time::macros::date!(2026 - 11 - 22)))
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
