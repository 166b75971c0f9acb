//! Mailgun's regions and their API base URLs.

use std::fmt;
use std::str::FromStr;

/// The Mailgun region that hosts a sending domain.
///
/// A domain is only known in the region it was created in: a US client
/// sending for an EU domain gets 401 or 404 from Mailgun.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Region {
    /// The US region, `https://api.mailgun.net` (the default).
    #[default]
    Us,
    /// The EU region, `https://api.eu.mailgun.net`.
    Eu,
}

impl Region {
    /// Returns the API base URL of this region.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://api.mailgun.net",
            Region::Eu => "https://api.eu.mailgun.net",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Region::Us => "us",
            Region::Eu => "eu",
        })
    }
}

/// The error of parsing a [`Region`] from text other than `us` or `eu`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseRegionError {
    input: String,
}

impl fmt::Display for ParseRegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid Mailgun region `{}`: expected `us` or `eu`",
            self.input
        )
    }
}

impl std::error::Error for ParseRegionError {}

impl FromStr for Region {
    type Err = ParseRegionError;

    /// Parses `us` or `eu`, ignoring ASCII case and surrounding whitespace.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.eq_ignore_ascii_case("us") {
            Ok(Region::Us)
        } else if trimmed.eq_ignore_ascii_case("eu") {
            Ok(Region::Eu)
        } else {
            Err(ParseRegionError {
                input: input.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_parses_any_case() {
        assert_eq!("EU".parse::<Region>(), Ok(Region::Eu));
        assert_eq!(" us ".parse::<Region>(), Ok(Region::Us));
    }

    #[test]
    fn region_rejects_unknown_name() {
        let error = "europe".parse::<Region>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid Mailgun region `europe`: expected `us` or `eu`"
        );
    }
}
