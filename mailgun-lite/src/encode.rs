//! Validation of a [`Message`] and its encoding as multipart form fields.
//!
//! Both happen in one pass, so a message that validates is exactly a message
//! that encodes.

use std::borrow::Cow;

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use time::format_description::well_known::Rfc2822;

use crate::attachment::Attachment;
use crate::error::Error;
use crate::mailbox::{Mailbox, has_line_break};
use crate::message::Message;

/// Mailgun's limit on `to`, `cc` and `bcc` recipients together, per message.
pub(crate) const MAX_RECIPIENTS: usize = 1000;

/// Mailgun's limit on `o:tag` values per message.
pub(crate) const MAX_TAGS: usize = 10;

/// Mailgun's limit on the length of one tag, in characters.
pub(crate) const MAX_TAG_CHARS: usize = 128;

/// Characters that reqwest 0.13 percent-encodes in a form field name, which
/// turns `name="…"` into `name*=utf-8''…`, a form Mailgun does not read.
/// Controls, space and non-ASCII characters are encoded too.
const PERCENT_ENCODED_IN_NAMES: &str = "\"<>`#?{}/%";

/// A validated message as multipart fields, in the order they are sent.
pub(crate) struct EncodedMessage {
    fields: Vec<(Cow<'static, str>, String)>,
    files: Vec<(&'static str, Attachment)>,
}

impl EncodedMessage {
    /// Builds a fresh form for one attempt, because a reqwest form cannot be
    /// reused.
    pub(crate) fn to_form(&self) -> Result<Form, Error> {
        let mut form = Form::new();
        for (name, value) in &self.fields {
            form = form.text(name.clone(), value.clone());
        }
        for (name, file) in &self.files {
            let part = Part::stream_with_length(file.data().clone(), file.len() as u64)
                .file_name(file.file_name().to_owned())
                .mime_str(file.content_type())
                .map_err(|_| invalid_content_type(name, file))?;
            form = form.part(*name, part);
        }
        Ok(form)
    }

    fn push(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.fields.push((name.into(), value.into()));
    }

    #[cfg(test)]
    pub(crate) fn fields(&self) -> &[(Cow<'static, str>, String)] {
        &self.fields
    }
}

/// Validates `message` and encodes it, or names the first invalid field.
pub(crate) fn encode(message: &Message) -> Result<EncodedMessage, Error> {
    let mut encoded = EncodedMessage {
        fields: Vec::new(),
        files: Vec::new(),
    };
    encode_envelope(message, &mut encoded)?;
    encode_content(message, &mut encoded)?;
    encode_custom_fields(message, &mut encoded)?;
    encode_options(message, &mut encoded)?;
    encode_files(message, &mut encoded)?;
    Ok(encoded)
}

fn encode_envelope(message: &Message, encoded: &mut EncodedMessage) -> Result<(), Error> {
    let Some(sender) = &message.from else {
        return Err(Error::invalid_message(
            "from",
            "is missing: set a sender with `Message::from`",
        ));
    };
    if message.to.is_empty() {
        return Err(Error::invalid_message(
            "to",
            "is missing: add at least one recipient with `Message::to`",
        ));
    }
    let recipients = message.recipient_count();
    if recipients > MAX_RECIPIENTS {
        return Err(Error::invalid_message(
            "to",
            format!(
                "has too many recipients: to, cc and bcc hold {recipients} together, and \
                 Mailgun accepts at most {MAX_RECIPIENTS} per message, so split the send"
            ),
        ));
    }

    push_mailbox(encoded, "from", sender)?;
    for (field, list) in [
        ("to", &message.to),
        ("cc", &message.cc),
        ("bcc", &message.bcc),
    ] {
        for mailbox in list {
            push_mailbox(encoded, field, mailbox)?;
        }
    }
    if let Some(reply_to) = &message.reply_to {
        push_mailbox(encoded, "h:Reply-To", reply_to)?;
    }
    Ok(())
}

fn push_mailbox(
    encoded: &mut EncodedMessage,
    field: &'static str,
    mailbox: &Mailbox,
) -> Result<(), Error> {
    mailbox.validate(field)?;
    encoded.push(field, mailbox.to_string());
    Ok(())
}

fn encode_content(message: &Message, encoded: &mut EncodedMessage) -> Result<(), Error> {
    let has_body = message.text.is_some() || message.html.is_some() || message.amp_html.is_some();
    if !has_body && message.template.is_none() {
        return Err(Error::invalid_message(
            "text",
            "is missing: set `text`, `html`, `amp_html` or `template`",
        ));
    }
    if message.html.is_some() && message.template.is_some() {
        return Err(Error::invalid_message(
            "html",
            "cannot be combined with `template`: Mailgun accepts only one of them",
        ));
    }

    if let Some(subject) = &message.subject {
        if has_line_break(subject) {
            return Err(Error::invalid_message(
                "subject",
                "contains CR or LF, which could inject a header",
            ));
        }
        encoded.push("subject", subject.as_str());
    }
    let bodies = [
        ("text", &message.text),
        ("html", &message.html),
        ("amp-html", &message.amp_html),
    ];
    for (field, body) in bodies {
        if let Some(body) = body {
            encoded.push(field, body.as_str());
        }
    }
    encode_template(message, encoded)
}

fn encode_template(message: &Message, encoded: &mut EncodedMessage) -> Result<(), Error> {
    let Some(template) = &message.template else {
        if message.template_version.is_some() {
            return Err(Error::invalid_message("t:version", "needs a `template`"));
        }
        if message.template_variables.is_some() {
            return Err(Error::invalid_message("t:variables", "needs a `template`"));
        }
        return Ok(());
    };

    encoded.push("template", template.as_str());
    if let Some(version) = &message.template_version {
        encoded.push("t:version", version.as_str());
    }
    if message.template_text {
        encoded.push("t:text", "yes");
    }
    if let Some(variables) = &message.template_variables {
        encoded.push("t:variables", json_object("t:variables", variables)?);
    }
    Ok(())
}

fn json_object(field: &str, value: &Value) -> Result<String, Error> {
    if !value.is_object() {
        return Err(Error::invalid_message(
            field,
            format!("must be a JSON object, not {value}"),
        ));
    }
    Ok(value.to_string())
}

fn encode_custom_fields(message: &Message, encoded: &mut EncodedMessage) -> Result<(), Error> {
    if let Some(variables) = &message.recipient_variables {
        encoded.push(
            "recipient-variables",
            json_object("recipient-variables", variables)?,
        );
    }
    for (name, value) in &message.headers {
        let field = field_name("h:", name)?;
        if name.contains(':') {
            return Err(Error::invalid_message(field, "header name contains `:`"));
        }
        if has_line_break(value) {
            return Err(Error::invalid_message(
                field,
                "value contains CR or LF, which could inject a header",
            ));
        }
        encoded.push(field, value.as_str());
    }
    for (name, value) in &message.variables {
        encoded.push(field_name("v:", name)?, value.as_str());
    }
    Ok(())
}

/// Checks a custom field name and returns the full field name, such as
/// `h:List-Unsubscribe`.
fn field_name(prefix: &str, name: &str) -> Result<String, Error> {
    let field = format!("{prefix}{name}");
    if name.is_empty() {
        return Err(Error::invalid_message(field, "has an empty name"));
    }
    if has_line_break(name) {
        return Err(Error::invalid_message(
            field,
            "name contains CR or LF, which could inject a header",
        ));
    }
    if !name.is_ascii() {
        return Err(Error::invalid_message(
            field,
            "name is not ASCII: reqwest would send it as `name*=utf-8''…`, \
             which Mailgun does not read",
        ));
    }
    let percent_encoded =
        |c: char| c.is_ascii_control() || c == ' ' || PERCENT_ENCODED_IN_NAMES.contains(c);
    if let Some(bad) = name.chars().find(|&c| percent_encoded(c)) {
        return Err(Error::invalid_message(
            field,
            format!(
                "name contains {bad:?}, which reqwest would percent-encode as \
                 `name*=utf-8''…`, a form Mailgun does not read"
            ),
        ));
    }
    Ok(field)
}

fn encode_options(message: &Message, encoded: &mut EncodedMessage) -> Result<(), Error> {
    encode_tags(&message.tags, encoded)?;
    let yes_no = |enabled: bool| if enabled { "yes" } else { "no" };

    if message.testmode {
        encoded.push("o:testmode", "yes");
    }
    if let Some(enabled) = message.tracking {
        encoded.push("o:tracking", yes_no(enabled));
    }
    if let Some(setting) = message.tracking_clicks {
        encoded.push("o:tracking-clicks", setting.as_str());
    }
    if let Some(enabled) = message.tracking_opens {
        encoded.push("o:tracking-opens", yes_no(enabled));
    }
    if let Some(at) = message.delivery_time {
        let date = at.format(&Rfc2822).map_err(|error| {
            Error::invalid_message(
                "o:deliverytime",
                format!("cannot be written as RFC 2822: {error}"),
            )
        })?;
        encoded.push("o:deliverytime", date);
    }
    if let Some(required) = message.require_tls {
        encoded.push("o:require-tls", yes_no(required));
    }
    for (name, value) in &message.options {
        encoded.push(field_name("o:", name)?, value.as_str());
    }
    Ok(())
}

fn encode_tags(tags: &[String], encoded: &mut EncodedMessage) -> Result<(), Error> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid_message(
            "o:tag",
            format!(
                "has {} values; Mailgun accepts at most {MAX_TAGS} per message",
                tags.len()
            ),
        ));
    }
    for tag in tags {
        if tag.is_empty() || !tag.is_ascii() || tag.chars().any(|c| c.is_ascii_control()) {
            return Err(Error::invalid_message(
                "o:tag",
                format!("value {tag:?} must be non-empty printable ASCII"),
            ));
        }
        if tag.len() > MAX_TAG_CHARS {
            return Err(Error::invalid_message(
                "o:tag",
                format!("value {tag:?} is longer than {MAX_TAG_CHARS} characters"),
            ));
        }
        encoded.push("o:tag", tag.as_str());
    }
    Ok(())
}

fn encode_files(message: &Message, encoded: &mut EncodedMessage) -> Result<(), Error> {
    let files = [
        ("attachment", &message.attachments),
        ("inline", &message.inline),
    ];
    for (field, list) in files {
        for file in list {
            validate_file(field, file)?;
            encoded.files.push((field, file.clone()));
        }
    }
    Ok(())
}

fn validate_file(field: &str, file: &Attachment) -> Result<(), Error> {
    if file.file_name().trim().is_empty() {
        return Err(Error::invalid_message(
            field,
            "has no file name; Mailgun silently drops a file without one",
        ));
    }
    if has_line_break(file.file_name()) {
        return Err(Error::invalid_message(
            field,
            format!("file name {:?} contains CR or LF", file.file_name()),
        ));
    }
    if file.content_type().parse::<mime::Mime>().is_err() {
        return Err(invalid_content_type(field, file));
    }
    Ok(())
}

fn invalid_content_type(field: &str, file: &Attachment) -> Error {
    Error::invalid_message(
        field,
        format!(
            "{:?} has the invalid content type {:?}; expected a MIME type such as `image/png`",
            file.file_name(),
            file.content_type()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn minimal() -> Message {
        Message::new()
            .from("sender@example.com")
            .to("jane@example.com")
            .text("hello")
    }

    fn values<'a>(encoded: &'a EncodedMessage, name: &str) -> Vec<&'a str> {
        encoded
            .fields()
            .iter()
            .filter(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    #[test]
    fn delivery_time_is_rfc_2822() {
        let message = minimal().delivery_time(datetime!(2021-12-20 20:33:21 UTC));
        let encoded = encode(&message).unwrap();
        assert_eq!(
            values(&encoded, "o:deliverytime"),
            ["Mon, 20 Dec 2021 20:33:21 +0000"]
        );
    }

    #[test]
    fn booleans_are_yes_and_no() {
        let message = minimal().tracking(false).require_tls(true).testmode(true);
        let encoded = encode(&message).unwrap();
        assert_eq!(values(&encoded, "o:tracking"), ["no"]);
        assert_eq!(values(&encoded, "o:require-tls"), ["yes"]);
        assert_eq!(values(&encoded, "o:testmode"), ["yes"]);
    }

    #[test]
    fn testmode_off_sends_nothing() {
        let encoded = encode(&minimal().testmode(false)).unwrap();
        assert!(values(&encoded, "o:testmode").is_empty());
    }

    #[test]
    fn header_name_with_space_is_rejected() {
        let error = encode(&minimal().header("X Campaign", "spring"))
            .err()
            .unwrap();
        assert_eq!(error.field(), Some("h:X Campaign"));
    }

    #[test]
    fn long_tag_is_rejected() {
        let error = encode(&minimal().tag("t".repeat(129))).err().unwrap();
        assert_eq!(error.field(), Some("o:tag"));
    }

    #[test]
    fn template_version_without_template_is_rejected() {
        let error = encode(&minimal().template_version("v2")).err().unwrap();
        assert_eq!(error.field(), Some("t:version"));
    }

    #[test]
    fn attachment_content_type_is_checked() {
        let file = Attachment::new("a.txt", "not a type", b"x".to_vec());
        let error = encode(&minimal().attachment(file)).err().unwrap();
        assert_eq!(error.field(), Some("attachment"));
    }
}
