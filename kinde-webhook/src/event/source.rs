//! The origin of a Kinde event: the envelope's `source` field.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The envelope's `source`: what caused the event.
///
/// Kinde documents `admin`, `api` and `user`, but the schemas disagree on which events use which,
/// so any other string is kept in [`Source::Other`]. Matching is exact and case-sensitive:
/// `"Admin"` becomes `Other("Admin")`. Build values with [`Source::from`] or [`str::parse`],
/// which map the documented strings to their variants. A hand-built `Other("admin")` does not
/// compare equal to [`Source::Admin`].
///
/// The enum is `#[non_exhaustive]` so that a source Kinde documents later can get its own
/// variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// `admin`: a change made in the Kinde admin UI.
    Admin,
    /// `api`: a change made through the Kinde Management API.
    Api,
    /// `user`: an action of the end user, such as signing up.
    User,
    /// Any other string, kept as received.
    ///
    /// An event without a `source` field gets `Other("")`. A `source` that is not a string gets
    /// its compact JSON text, such as `Other("3")`.
    Other(String),
}

impl Source {
    /// Returns the string Kinde sends for this source.
    pub fn as_str(&self) -> &str {
        match self {
            Source::Admin => "admin",
            Source::Api => "api",
            Source::User => "user",
            Source::Other(other) => other,
        }
    }
}

impl From<&str> for Source {
    fn from(source: &str) -> Self {
        match source {
            "admin" => Source::Admin,
            "api" => Source::Api,
            "user" => Source::User,
            other => Source::Other(other.to_owned()),
        }
    }
}

impl From<String> for Source {
    fn from(source: String) -> Self {
        match Source::from(source.as_str()) {
            Source::Other(_) => Source::Other(source),
            known => known,
        }
    }
}

impl FromStr for Source {
    type Err = Infallible;

    /// Parses a source string. Every string is accepted.
    fn from_str(source: &str) -> Result<Self, Self::Err> {
        Ok(Source::from(source))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Source::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_sources_map_to_variants() {
        assert_eq!(Source::from("admin"), Source::Admin);
        assert_eq!(Source::from("api"), Source::Api);
        assert_eq!(Source::from("user"), Source::User);
    }

    #[test]
    fn other_source_keeps_string() {
        let source: Source = "partner".parse().unwrap();
        assert_eq!(source, Source::Other("partner".to_owned()));
        assert_eq!(source.as_str(), "partner");
    }

    #[test]
    fn source_match_is_case_sensitive() {
        assert_eq!(Source::from("Admin"), Source::Other("Admin".to_owned()));
    }

    #[test]
    fn owned_string_maps_to_variant() {
        assert_eq!(Source::from("api".to_owned()), Source::Api);
    }

    #[test]
    fn source_serializes_as_string() {
        assert_eq!(serde_json::to_value(Source::Api).unwrap(), "api");
        assert_eq!(
            serde_json::to_value(Source::Other("partner".to_owned())).unwrap(),
            "partner"
        );
    }

    #[test]
    fn source_displays_as_string() {
        assert_eq!(Source::User.to_string(), "user");
    }
}
