//! Building the welcome email for a new Kinde user.

use kinde_webhook::User;
use mailgun_lite::{Mailbox, Message};
use serde_json::{Value, json};

use crate::config::WelcomeSettings;

/// The Mailgun tag on every welcome email.
pub const WELCOME_TAG: &str = "welcome";

/// The `v:` variable that carries the Kinde event id, for tracing an email
/// back to its webhook in Mailgun's events.
pub const EVENT_ID_VARIABLE: &str = "kinde-event-id";

/// One welcome email, ready to be sent, with the id of its event.
#[derive(Debug, Clone)]
pub struct WelcomeEmail {
    /// The Kinde `event_id` of the `user.created` event.
    pub event_id: String,
    /// The Mailgun message.
    pub message: Message,
}

/// The person a welcome email goes to, as read from a `user.created` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient<'a> {
    /// The email address as received; `None`, empty or blank means none.
    pub email: Option<&'a str>,
    /// The first name as received, if any.
    pub first_name: Option<&'a str>,
}

impl<'a> Recipient<'a> {
    /// Reads the recipient from a typed user.
    pub fn from_user(user: &'a User) -> Self {
        Self {
            email: user.email(),
            first_name: user.first_name.as_deref(),
        }
    }

    /// Reads the recipient from raw `data` whose typed parse failed, so that
    /// a field of an unexpected type elsewhere does not cost the email.
    pub fn from_raw_data(data: &'a Value) -> Self {
        let user = &data["user"];
        Self {
            email: user["email"].as_str(),
            first_name: user["first_name"].as_str(),
        }
    }
}

/// The reason no welcome email can be built for a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoEmail {
    /// The user has no email address (null, empty or blank).
    Missing,
    /// The address is not of the form `local@domain`.
    Invalid,
}

/// Builds the welcome email for `recipient`, for the event `event_id`.
pub fn welcome_email(
    event_id: &str,
    recipient: Recipient<'_>,
    settings: &WelcomeSettings,
) -> Result<WelcomeEmail, NoEmail> {
    let address = clean(recipient.email.ok_or(NoEmail::Missing)?);
    if address.is_empty() {
        return Err(NoEmail::Missing);
    }
    if !is_plausible_address(&address) {
        return Err(NoEmail::Invalid);
    }

    let first_name = recipient
        .first_name
        .map(clean)
        .filter(|name| !name.is_empty());
    let mailbox = match &first_name {
        Some(name) => Mailbox::named(name, address),
        None => Mailbox::new(address),
    };

    let message = Message::new()
        .from(settings.from.as_str())
        .to(mailbox)
        .subject(subject(first_name.as_deref()))
        .tag(WELCOME_TAG)
        .variable(EVENT_ID_VARIABLE, event_id);
    let message = match &settings.template {
        Some(template) => message.template(template).template_variables(json!({
            "first_name": first_name.as_deref().unwrap_or(""),
            "greeting_name": first_name.as_deref().unwrap_or("there"),
            "sign_in_url": settings.sign_in_url,
        })),
        None => message
            .text(text_body(first_name.as_deref(), &settings.sign_in_url))
            .html(html_body(first_name.as_deref(), &settings.sign_in_url)),
    };

    Ok(WelcomeEmail {
        event_id: event_id.to_owned(),
        message,
    })
}

/// Checks the shape `local@domain` with no whitespace, so that an address
/// Mailgun would reject is not queued. Mailgun checks the rest.
fn is_plausible_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    !local.is_empty() && !domain.is_empty() && !address.chars().any(char::is_whitespace)
}

fn subject(first_name: Option<&str>) -> String {
    match first_name {
        Some(name) => format!("Welcome, {name}!"),
        None => "Welcome!".to_owned(),
    }
}

fn text_body(first_name: Option<&str>, sign_in_url: &str) -> String {
    let name = first_name.unwrap_or("there");
    format!("Hi {name},\n\nWelcome aboard! Your account is ready.\n\nSign in here: {sign_in_url}\n")
}

fn html_body(first_name: Option<&str>, sign_in_url: &str) -> String {
    let name = escape_html(first_name.unwrap_or("there"));
    let link = escape_html(sign_in_url);
    format!(
        "<!doctype html>\n<html><body>\n<p>Hi {name},</p>\n<p>Welcome aboard! Your account is ready.</p>\n\
         <p><a href=\"{link}\">Sign in</a></p>\n</body></html>\n"
    )
}

/// Removes control characters (CR and LF among them) and surrounding whitespace
/// from a user-supplied value.
fn clean(value: &str) -> String {
    value
        .chars()
        .filter(|character| !character.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Escapes the five characters that are special in HTML text and attributes.
fn escape_html(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinde_webhook::testing::samples;

    fn settings(template: Option<&str>) -> WelcomeSettings {
        WelcomeSettings {
            from: "Acme <welcome@mg.example.com>".to_owned(),
            sign_in_url: "https://app.example.com/login?next=/home&x=1".to_owned(),
            sources: vec![],
            template: template.map(str::to_owned),
        }
    }

    fn email_for(
        sample: samples::SampleEvent,
        template: Option<&str>,
    ) -> Result<WelcomeEmail, NoEmail> {
        let event = sample.to_event();
        welcome_email(
            &event.event_id,
            Recipient::from_user(event.user().unwrap()),
            &settings(template),
        )
    }

    #[test]
    fn escape_html_covers_special_characters() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn clean_strips_control_characters() {
        assert_eq!(
            clean(" Ada\r\nBcc: x@example.com\u{7}"),
            "AdaBcc: x@example.com"
        );
    }

    #[test]
    fn user_without_email_gets_none() {
        assert_eq!(
            email_for(samples::user_created().email(None), None).err(),
            Some(NoEmail::Missing)
        );
        assert_eq!(
            email_for(samples::user_created().email(Some("")), None).err(),
            Some(NoEmail::Missing)
        );
        assert_eq!(
            email_for(samples::user_created().email(Some(" \r\n ")), None).err(),
            Some(NoEmail::Missing)
        );
    }

    #[test]
    fn implausible_address_is_invalid() {
        for address in [
            "not-an-email",
            "@example.com",
            "ada@",
            "ada lovelace@example.com",
        ] {
            let result = email_for(samples::user_created().email(Some(address)), None);
            assert_eq!(result.err(), Some(NoEmail::Invalid), "{address}");
        }
    }

    #[test]
    fn raw_data_recipient_reads_email_and_name() {
        let data = serde_json::json!({"user": {"email": "ada@example.com", "first_name": "Ada", "phone": 12345}});

        let recipient = Recipient::from_raw_data(&data);

        assert_eq!(
            recipient,
            Recipient {
                email: Some("ada@example.com"),
                first_name: Some("Ada")
            }
        );
    }

    #[test]
    fn missing_first_name_falls_back() {
        let email = email_for(
            samples::user_created()
                .email(Some("ada@example.com"))
                .first_name(None),
            None,
        )
        .unwrap();

        assert!(email.message.validate().is_ok());
        assert_eq!(subject(None), "Welcome!");
        assert!(text_body(None, "https://x").starts_with("Hi there,"));
    }

    #[test]
    fn html_escapes_the_name() {
        let html = html_body(
            Some("<script>alert(1)</script>"),
            "https://app.example.com/?a=1&b=2",
        );

        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("href=\"https://app.example.com/?a=1&amp;b=2\""));
    }

    #[test]
    fn template_mode_sends_no_bodies() {
        let email = email_for(
            samples::user_created().email(Some("ada@example.com")),
            Some("welcome-v1"),
        )
        .unwrap();

        assert!(email.message.validate().is_ok());
    }
}
