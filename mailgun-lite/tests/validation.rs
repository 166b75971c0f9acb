//! Every validation error, checked against a double that must see no
//! request.

use mailgun_lite::{Attachment, Client, ErrorKind, Mailbox, Message, MockMailgun};
use serde_json::json;

fn valid() -> Message {
    Message::new()
        .from("welcome@mg.example.test")
        .to("jane@example.com")
        .text("Hello!")
}

fn recipients(message: Message, field: &str, count: usize) -> Message {
    (0..count).fold(message, |message, i| {
        let address = format!("user{i}@example.com");
        match field {
            "to" => message.to(address),
            "cc" => message.cc(address),
            _ => message.bcc(address),
        }
    })
}

fn invalid_cases() -> Vec<(&'static str, Message, &'static str)> {
    let no_body = Message::new()
        .from("welcome@mg.example.test")
        .to("jane@example.com");
    // One `to` from valid(), then 499 + 500 + 1.
    let too_many = recipients(
        recipients(recipients(valid(), "to", 499), "cc", 500),
        "bcc",
        1,
    );
    let eleven_tags = (0..11).fold(valid(), |message, i| message.tag(format!("tag-{i}")));
    vec![
        ("no sender", valid().from(""), "from"),
        (
            "missing sender",
            Message::new().to("jane@example.com").text("x"),
            "from",
        ),
        (
            "no recipient",
            Message::new().from("a@example.com").text("x"),
            "to",
        ),
        (
            "only cc",
            Message::new()
                .from("a@example.com")
                .cc("c@example.com")
                .text("x"),
            "to",
        ),
        ("no body or template", no_body, "text"),
        (
            "html and template",
            valid().html("<p>x</p>").template("welcome"),
            "html",
        ),
        ("1001 recipients", too_many, "to"),
        ("11 tags", eleven_tags, "o:tag"),
        (
            "CR in header name",
            valid().header("X-A\rB", "1"),
            "h:X-A\rB",
        ),
        (
            "LF in header value",
            valid().header("X-Campaign", "a\nBcc: x@example.com"),
            "h:X-Campaign",
        ),
        (
            "CRLF in display name",
            valid().to(Mailbox::named(
                "Eve\r\nBcc: x@example.com",
                "eve@example.com",
            )),
            "to",
        ),
        (
            "LF in address",
            valid().cc("eve@example.com\nBcc: x@example.com"),
            "cc",
        ),
        (
            "CR in reply-to",
            valid().reply_to("a@example.com\rX: y"),
            "h:Reply-To",
        ),
        (
            "CR in subject",
            valid().subject("Hi\r\nBcc: x@example.com"),
            "subject",
        ),
        (
            "non-ASCII header name",
            valid().header("X-Ünicode", "1"),
            "h:X-Ünicode",
        ),
        (
            "non-ASCII variable name",
            valid().variable("naïve", "1"),
            "v:naïve",
        ),
        (
            "space in variable name",
            valid().variable("user id", "1"),
            "v:user id",
        ),
        (
            "colon in header name",
            valid().header("X-A:B", "1"),
            "h:X-A:B",
        ),
        (
            "attachment without file name",
            valid().attachment(Attachment::new("", "text/plain", "x")),
            "attachment",
        ),
        (
            "inline without file name",
            valid().inline(Attachment::new(" ", "image/png", "x")),
            "inline",
        ),
        (
            "two addresses in one to",
            valid().to("a@example.com, b@example.com"),
            "to",
        ),
        ("address without @", valid().bcc("jane"), "bcc"),
        (
            "template variables not an object",
            valid().template("w").template_variables(json!([1])),
            "t:variables",
        ),
        (
            "recipient variables not an object",
            valid().recipient_variables(json!("x")),
            "recipient-variables",
        ),
        (
            "template version without template",
            valid().template_version("v2"),
            "t:version",
        ),
        ("non-ASCII tag", valid().tag("bienvenüe"), "o:tag"),
    ]
}

#[tokio::test]
async fn invalid_messages_never_reach_mailgun() {
    let mock = MockMailgun::start().await;
    let client = mock.client_builder().build().unwrap();
    for (case, message, field) in invalid_cases() {
        let error = client.send(&message).await.expect_err(case);
        assert_eq!(error.kind(), ErrorKind::InvalidMessage, "{case}: {error}");
        assert_eq!(error.field(), Some(field), "{case}: {error}");
        assert!(
            error.to_string().contains(&format!("`{field}`")),
            "{case}: {error}"
        );
        assert!(error.is_invalid_message(), "{case}");
        assert!(!error.is_retryable(), "{case}");
    }
    assert_eq!(mock.request_count(), 0);
    assert_eq!(mock.connection_count(), 0);
}

#[tokio::test]
async fn validate_matches_send() {
    for (case, message, field) in invalid_cases() {
        let error = message.validate().expect_err(case);
        assert_eq!(error.field(), Some(field), "{case}");
    }
}

#[tokio::test]
async fn limits_themselves_are_accepted() {
    let mock = MockMailgun::start().await;
    let client = mock.client_builder().build().unwrap();
    // One `to` from valid(), then 499 + 499 + 1.
    let at_limit = recipients(
        recipients(recipients(valid(), "to", 499), "cc", 499),
        "bcc",
        1,
    );
    let at_limit = (0..10).fold(at_limit, |message, i| message.tag(format!("tag-{i}")));
    client.send(&at_limit).await.unwrap();

    let received = mock.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].field("to").len(), 500);
    assert_eq!(received[0].field("cc").len(), 499);
    assert_eq!(received[0].field("bcc").len(), 1);
    assert_eq!(received[0].field("o:tag").len(), 10);
}

#[test]
fn domain_that_changes_path_is_rejected() {
    for domain in [
        "mg.example.com/v3",
        "mg.example.com%2F",
        "mg.example.com?x=1",
        "a#b",
        "..",
        "",
        "mg example.com",
    ] {
        let error = Client::new("key-example", domain).expect_err(domain);
        assert_eq!(error.kind(), ErrorKind::InvalidConfig, "{domain}");
        assert!(error.to_string().contains("domain"), "{domain}: {error}");
    }
}

#[test]
fn empty_api_key_is_rejected() {
    let error = Client::new("  ", "mg.example.com").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfig);
    assert_eq!(error.to_string(), "the Mailgun API key is empty");
}

#[test]
fn invalid_base_url_is_rejected() {
    let error = Client::builder("key-example", "mg.example.com")
        .base_url("127.0.0.1:8025")
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidConfig);
    assert!(error.to_string().contains("127.0.0.1:8025"), "{error}");
}
