//! Mailboxes (an address with an optional display name) and their wire format.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::Error;

/// An email address with an optional display name, as used in `from`, `to`,
/// `cc`, `bcc` and `Reply-To`.
///
/// A display name is written as RFC 5322 requires. Plain words stay bare. A
/// name with punctuation such as a comma is quoted, with `"` and `\` escaped.
/// A name with non-ASCII characters is encoded as RFC 2047 encoded-words,
/// because Mailgun mangles raw non-ASCII names that also contain punctuation.
/// A name containing `=?` is encoded too, so that a mail reader shows it as
/// written instead of decoding it as an encoded-word.
///
/// ```
/// use mailgun_lite::Mailbox;
///
/// let mailbox = Mailbox::named("Doe, Jane", "jane@example.com");
/// assert_eq!(mailbox.to_string(), r#""Doe, Jane" <jane@example.com>"#);
///
/// // A string is parsed as `address` or `Display Name <address>`.
/// let parsed = Mailbox::from("Acme Support <support@example.com>");
/// assert_eq!(parsed.name(), Some("Acme Support"));
/// assert_eq!(parsed.address(), "support@example.com");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    name: Option<String>,
    address: String,
}

impl Mailbox {
    /// Creates a mailbox without a display name.
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            name: None,
            address: address.into().trim().to_owned(),
        }
    }

    /// Creates a mailbox with a display name, given as plain text (unquoted,
    /// unencoded). An empty name is the same as no name.
    pub fn named(name: impl AsRef<str>, address: impl Into<String>) -> Self {
        let name = name.as_ref().trim();
        Self {
            name: (!name.is_empty()).then(|| name.to_owned()),
            address: address.into().trim().to_owned(),
        }
    }

    /// Returns the display name as plain text.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Returns the address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Checks the mailbox for use in `field`: the address must be a single
    /// address, and neither part may contain CR or LF.
    pub(crate) fn validate(&self, field: &str) -> Result<(), Error> {
        if let Some(name) = &self.name
            && has_line_break(name)
        {
            return Err(Error::invalid_message(
                field,
                format!("display name {name:?} contains CR or LF, which could inject a header"),
            ));
        }
        validate_address(field, &self.address)
    }
}

impl fmt::Display for Mailbox {
    /// Writes the mailbox as `address` or `display-name <address>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} <{}>", encode_display_name(name), self.address),
            None => f.write_str(&self.address),
        }
    }
}

impl From<&str> for Mailbox {
    /// Parses `address` or `Display Name <address>`. A quoted display name is
    /// unquoted, so it is quoted again correctly when sent.
    fn from(text: &str) -> Self {
        let text = text.trim();
        if let Some(before_close) = text.strip_suffix('>')
            && let Some(open) = before_close.rfind('<')
        {
            let name = unquote(before_close[..open].trim());
            return Self::named(name, &before_close[open + 1..]);
        }
        Self::new(text)
    }
}

impl From<String> for Mailbox {
    /// Parses like `From<&str>`.
    fn from(text: String) -> Self {
        Self::from(text.as_str())
    }
}

impl From<&String> for Mailbox {
    /// Parses like `From<&str>`.
    fn from(text: &String) -> Self {
        Self::from(text.as_str())
    }
}

pub(crate) fn has_line_break(text: &str) -> bool {
    text.contains(['\r', '\n'])
}

fn validate_address(field: &str, address: &str) -> Result<(), Error> {
    if has_line_break(address) {
        return Err(Error::invalid_message(
            field,
            format!("address {address:?} contains CR or LF, which could inject a header"),
        ));
    }
    if address.is_empty() {
        return Err(Error::invalid_message(field, "address is empty"));
    }
    // NOTE: this also rejects quoted local parts such as
    // `"jane doe"@example.com`, which RFC 5322 allows but which are rare.
    if let Some(bad) = address
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(*c))
    {
        return Err(Error::invalid_message(
            field,
            format!(
                "address {address:?} contains {bad:?}: give one address per call, \
                 and a display name through `Mailbox::named`"
            ),
        ));
    }
    if !address.contains('@') {
        return Err(Error::invalid_message(
            field,
            format!("address {address:?} has no `@`"),
        ));
    }
    Ok(())
}

/// Removes the quotes and backslash escapes of an RFC 5322 quoted-string.
/// Other text is returned unchanged.
fn unquote(name: &str) -> Cow<'_, str> {
    let Some(inner) = name
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return Cow::Borrowed(name);
    };
    let mut plain = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => plain.extend(chars.next()),
            _ => plain.push(c),
        }
    }
    Cow::Owned(plain)
}

/// Writes a display name as RFC 5322 words, a quoted-string, or RFC 2047
/// encoded-words, whichever the text needs.
fn encode_display_name(name: &str) -> Cow<'_, str> {
    // `=?` starts an encoded-word, and `=` and `?` are atext, so such a name
    // would otherwise be sent bare and decoded by the recipient's reader.
    let needs_encoding =
        !name.is_ascii() || name.chars().any(|c| c.is_ascii_control()) || name.contains("=?");
    if needs_encoding {
        return Cow::Owned(encoded_words(name));
    }
    let plain_words = name
        .split(' ')
        .all(|word| !word.is_empty() && word.bytes().all(is_atext));
    if plain_words {
        return Cow::Borrowed(name);
    }
    Cow::Owned(quoted_string(name))
}

/// RFC 5322 `atext`: the characters allowed in a word without quotes.
fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
}

fn quoted_string(name: &str) -> String {
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Bytes of UTF-8 per encoded-word: 45 bytes become 60 base64 characters,
/// which with `=?utf-8?B?` and `?=` stays within RFC 2047's 75-character limit.
const ENCODED_WORD_BYTES: usize = 45;

/// Encodes `text` as base64 RFC 2047 encoded-words, split on character
/// boundaries and separated by spaces.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + ENCODED_WORD_BYTES).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        words.push(format!("=?utf-8?B?{}?=", BASE64.encode(&text[start..end])));
        start = end;
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_name_stays_bare() {
        let mailbox = Mailbox::named("Jane Doe", "jane@example.com");
        assert_eq!(mailbox.to_string(), "Jane Doe <jane@example.com>");
    }

    #[test]
    fn name_with_comma_and_quotes_is_quoted() {
        let mailbox = Mailbox::named(r#"Name, With "Comma""#, "a@example.com");
        assert_eq!(
            mailbox.to_string(),
            r#""Name, With \"Comma\"" <a@example.com>"#
        );
    }

    #[test]
    fn name_with_backslash_is_escaped() {
        let mailbox = Mailbox::named(r"A\B", "a@example.com");
        assert_eq!(mailbox.to_string(), r#""A\\B" <a@example.com>"#);
    }

    #[test]
    fn name_with_dot_is_quoted() {
        let mailbox = Mailbox::named("J. Doe", "j@example.com");
        assert_eq!(mailbox.to_string(), r#""J. Doe" <j@example.com>"#);
    }

    #[test]
    fn non_ascii_name_is_encoded_word() {
        let mailbox = Mailbox::named("Zoë, Ops", "z@example.com");
        let expected = format!("=?utf-8?B?{}?= <z@example.com>", BASE64.encode("Zoë, Ops"));
        assert_eq!(mailbox.to_string(), expected);
    }

    #[test]
    fn name_like_encoded_word_is_encoded() {
        let name = "=?utf-8?B?QWRtaW4=?=";
        let mailbox = Mailbox::named(name, "a@example.com");
        let expected = format!("=?utf-8?B?{}?= <a@example.com>", BASE64.encode(name));
        assert_eq!(mailbox.to_string(), expected);
    }

    #[test]
    fn long_non_ascii_name_splits_on_char_boundaries() {
        let name = "é".repeat(40);
        let encoded = encoded_words(&name);
        let words: Vec<&str> = encoded.split(' ').collect();
        assert_eq!(words.len(), 2);
        for word in &words {
            assert!(word.len() <= 75, "{word} is longer than 75 characters");
        }
        let decoded: String = words
            .iter()
            .map(|word| {
                let payload = word.trim_start_matches("=?utf-8?B?").trim_end_matches("?=");
                String::from_utf8(BASE64.decode(payload).unwrap()).unwrap()
            })
            .collect();
        assert_eq!(decoded, name);
    }

    #[test]
    fn parse_splits_name_and_address() {
        let mailbox = Mailbox::from("Acme, Inc. <welcome@mg.example.com>");
        assert_eq!(mailbox.name(), Some("Acme, Inc."));
        assert_eq!(mailbox.address(), "welcome@mg.example.com");
        assert_eq!(
            mailbox.to_string(),
            r#""Acme, Inc." <welcome@mg.example.com>"#
        );
    }

    #[test]
    fn parse_unquotes_quoted_name() {
        let mailbox = Mailbox::from(r#""Doe, \"JD\" Jane" <jane@example.com>"#);
        assert_eq!(mailbox.name(), Some(r#"Doe, "JD" Jane"#));
    }

    #[test]
    fn parse_bare_address() {
        let mailbox = Mailbox::from(" jane@example.com ");
        assert_eq!(mailbox.name(), None);
        assert_eq!(mailbox.to_string(), "jane@example.com");
    }

    #[test]
    fn validate_rejects_two_addresses() {
        let error = Mailbox::from("a@example.com, b@example.com")
            .validate("to")
            .unwrap_err();
        assert_eq!(error.field(), Some("to"));
    }

    #[test]
    fn validate_rejects_line_break_in_name() {
        let error = Mailbox::named("Eve\r\nBcc: x@example.com", "eve@example.com")
            .validate("from")
            .unwrap_err();
        assert!(error.to_string().contains("CR or LF"), "{error}");
    }

    #[test]
    fn validate_rejects_address_without_at() {
        let error = Mailbox::new("jane").validate("cc").unwrap_err();
        assert_eq!(error.field(), Some("cc"));
    }
}
