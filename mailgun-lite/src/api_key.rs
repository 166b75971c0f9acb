//! The API key, kept out of `Debug` output.

use std::fmt;

/// A Mailgun API key. Its `Debug` output is `ApiKey("[redacted]")`, and it
/// has no `Display`, so formatting a client never shows the key.
#[derive(Clone)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    pub(crate) fn new(key: impl Into<String>) -> Self {
        Self(key.into().trim().to_owned())
    }

    /// Returns the key itself, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Describes what is wrong with the key, without quoting it.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if self.0.is_empty() {
            Some("is empty")
        } else if !self.0.bytes().all(|byte| byte.is_ascii_graphic()) {
            Some("contains whitespace, control or non-ASCII characters")
        } else {
            None
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(\"[redacted]\")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_key() {
        let key = ApiKey::new("key-3ax6xnjp29jd6fds4gc373sgvjxteol0");
        let debug = format!("{key:?}");
        assert!(!debug.contains("3ax6"), "{debug}");
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        let key = ApiKey::new(" key-abc\n");
        assert_eq!(key.expose(), "key-abc");
        assert_eq!(key.problem(), None);
    }
}
