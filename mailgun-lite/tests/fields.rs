//! The multipart fields a message becomes, as received by the double.

use mailgun_lite::testing::RecordedMessage;
use mailgun_lite::{Attachment, ClickTracking, Client, Mailbox, Message, MockMailgun};
use serde_json::{Value, json};
use time::macros::datetime;

async fn send_and_receive(message: &Message) -> RecordedMessage {
    let mock = MockMailgun::start().await;
    let client = mock.client_builder().build().unwrap();
    let sent = client.send(message).await.unwrap();
    let messages = mock.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].id(), sent.id());
    messages[0].clone()
}

fn full_message() -> Message {
    Message::new()
        .from("Acme <welcome@mg.example.test>")
        .to("jane@example.com")
        .to(Mailbox::named("John Roe", "john@example.com"))
        .cc("cc@example.com")
        .bcc("audit@example.com")
        .reply_to("support@example.com")
        .subject("Welcome to Acme")
        .text("Hello!")
        .html("<p>Hello!</p>")
        .amp_html("<html amp4email><body>Hello!</body></html>")
        .recipient_variables(json!({
            "jane@example.com": {"name": "Jane"},
            "john@example.com": {"name": "John"}
        }))
        .header("X-Campaign", "spring")
        .header("List-Unsubscribe", "<https://example.com/u>")
        .variable("user-id", "42")
        .correlation_id("event-1")
        .tag("welcome")
        .tag("onboarding")
        .testmode(true)
        .tracking(true)
        .tracking_clicks(ClickTracking::HtmlOnly)
        .tracking_opens(false)
        .delivery_time(datetime!(2030-01-02 03:04:05 UTC))
        .require_tls(true)
        .option("dkim", "yes")
        .attachment(Attachment::new(
            "terms.pdf",
            "application/pdf",
            vec![7u8; 1234],
        ))
        .inline(Attachment::new("logo.png", "image/png", vec![1u8; 99]))
}

#[tokio::test]
async fn full_message_field_names_in_order() {
    let received = send_and_receive(&full_message()).await;
    let names: Vec<&str> = received
        .fields()
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "from",
            "to",
            "to",
            "cc",
            "bcc",
            "h:Reply-To",
            "subject",
            "text",
            "html",
            "amp-html",
            "recipient-variables",
            "h:X-Campaign",
            "h:List-Unsubscribe",
            "v:user-id",
            "v:correlation-id",
            "o:tag",
            "o:tag",
            "o:testmode",
            "o:tracking",
            "o:tracking-clicks",
            "o:tracking-opens",
            "o:deliverytime",
            "o:require-tls",
            "o:dkim",
        ]
    );
}

#[tokio::test]
async fn full_message_field_values() {
    let received = send_and_receive(&full_message()).await;

    assert_eq!(
        received.first("from"),
        Some("Acme <welcome@mg.example.test>")
    );
    assert_eq!(
        received.field("to"),
        ["jane@example.com", "John Roe <john@example.com>"]
    );
    assert_eq!(received.field("cc"), ["cc@example.com"]);
    assert_eq!(received.field("bcc"), ["audit@example.com"]);
    assert_eq!(received.first("h:Reply-To"), Some("support@example.com"));

    assert_eq!(received.first("subject"), Some("Welcome to Acme"));
    assert_eq!(received.first("text"), Some("Hello!"));
    assert_eq!(received.first("html"), Some("<p>Hello!</p>"));
    assert_eq!(
        received.first("amp-html"),
        Some("<html amp4email><body>Hello!</body></html>")
    );

    assert_eq!(received.first("h:X-Campaign"), Some("spring"));
    assert_eq!(
        received.first("h:List-Unsubscribe"),
        Some("<https://example.com/u>")
    );

    assert_eq!(received.field("v:user-id"), ["42"]);
    assert_eq!(received.field("v:correlation-id"), ["event-1"]);
    assert_eq!(received.field("o:tag"), ["welcome", "onboarding"]);

    assert_eq!(received.first("o:testmode"), Some("yes"));
    assert_eq!(received.first("o:tracking"), Some("yes"));
    assert_eq!(received.first("o:tracking-clicks"), Some("htmlonly"));
    assert_eq!(received.first("o:tracking-opens"), Some("no"));
    assert_eq!(
        received.first("o:deliverytime"),
        Some("Wed, 02 Jan 2030 03:04:05 +0000")
    );
    assert_eq!(received.first("o:require-tls"), Some("yes"));
    assert_eq!(received.first("o:dkim"), Some("yes"));
}

#[tokio::test]
async fn recipient_variables_are_json() {
    let received = send_and_receive(&full_message()).await;
    let variables: Value =
        serde_json::from_str(received.first("recipient-variables").unwrap()).unwrap();
    assert_eq!(variables["john@example.com"]["name"], "John");
}

#[tokio::test]
async fn files_keep_name_type_and_size() {
    let received = send_and_receive(&full_message()).await;
    let attachments = received.attachments();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].file_name(), Some("terms.pdf"));
    assert_eq!(attachments[0].content_type(), Some("application/pdf"));
    assert_eq!(attachments[0].size(), 1234);

    let inline = received.inline();
    assert_eq!(inline.len(), 1);
    assert_eq!(inline[0].file_name(), Some("logo.png"));
    assert_eq!(inline[0].content_type(), Some("image/png"));
    assert_eq!(inline[0].size(), 99);
}

#[tokio::test]
async fn template_fields() {
    let message = Message::new()
        .from("welcome@mg.example.test")
        .to("jane@example.com")
        .template("welcome")
        .template_version("v2")
        .template_text(true)
        .template_variables(json!({"name": "Jane", "plan": {"tier": "pro"}}));
    let received = send_and_receive(&message).await;
    assert_eq!(received.first("template"), Some("welcome"));
    assert_eq!(received.first("t:version"), Some("v2"));
    assert_eq!(received.first("t:text"), Some("yes"));
    let variables: Value = serde_json::from_str(received.first("t:variables").unwrap()).unwrap();
    assert_eq!(variables, json!({"name": "Jane", "plan": {"tier": "pro"}}));
    assert!(received.first("text").is_none());
}

#[tokio::test]
async fn display_name_with_comma_is_quoted() {
    let message = Message::new()
        .from(Mailbox::named(
            r#"Name, With "Comma""#,
            "welcome@mg.example.test",
        ))
        .to("jane@example.com")
        .text("Hello!");
    let received = send_and_receive(&message).await;
    assert_eq!(
        received.first("from"),
        Some(r#""Name, With \"Comma\"" <welcome@mg.example.test>"#)
    );
}

#[tokio::test]
async fn non_ascii_display_name_is_encoded_word() {
    let message = Message::new()
        .from("welcome@mg.example.test")
        .to(Mailbox::named("Zoë Ångström, PhD", "zoe@example.com"))
        .text("Hello!");
    let received = send_and_receive(&message).await;
    // base64 of the UTF-8 bytes of "Zoë Ångström, PhD".
    assert_eq!(
        received.first("to"),
        Some("=?utf-8?B?Wm/DqyDDhW5nc3Ryw7ZtLCBQaEQ=?= <zoe@example.com>")
    );
}

#[tokio::test]
async fn parsed_sender_is_requoted() {
    let message = Message::new()
        .from("Acme, Inc. <welcome@mg.example.test>")
        .to("jane@example.com")
        .text("Hello!");
    let received = send_and_receive(&message).await;
    assert_eq!(
        received.first("from"),
        Some(r#""Acme, Inc." <welcome@mg.example.test>"#)
    );
}

#[tokio::test]
async fn sequential_sends_share_one_connection() {
    let mock = MockMailgun::start().await;
    let client = mock.client_builder().build().unwrap();
    let message = Message::new()
        .from("welcome@mg.example.test")
        .to("jane@example.com")
        .text("Hello!");
    for _ in 0..100 {
        client.send(&message).await.unwrap();
    }
    assert_eq!(mock.request_count(), 100);
    assert_eq!(mock.messages().len(), 100);
    assert_eq!(mock.connection_count(), 1);
}

#[tokio::test]
async fn wait_for_messages_wakes_on_send() {
    let mock = MockMailgun::start().await;
    let client = mock.client_builder().build().unwrap();
    let message = Message::new()
        .from("welcome@mg.example.test")
        .to("jane@example.com")
        .text("Hello!");
    let sender = tokio::spawn(async move {
        client.send(&message).await.unwrap();
        client.send(&message).await.unwrap();
    });
    let received = mock
        .wait_for_messages(2, std::time::Duration::from_secs(10))
        .await
        .expect("two messages within 10 s");
    assert_eq!(received.len(), 2);
    sender.await.unwrap();
}

#[tokio::test]
async fn wait_for_messages_times_out() {
    let mock = MockMailgun::start().await;
    let waited = mock
        .wait_for_messages(1, std::time::Duration::from_millis(50))
        .await;
    assert!(waited.is_none());
}

#[tokio::test]
async fn mock_stops_listening_when_dropped() {
    let mock = MockMailgun::start().await;
    let address = mock.address();
    tokio::net::TcpStream::connect(address).await.unwrap();
    drop(mock);

    // The server task is aborted on drop and releases the port the next time
    // the runtime polls it, so give the runtime a few turns.
    let mut refused = false;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        if tokio::net::TcpStream::connect(address).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "{address} still accepts connections");
}

#[tokio::test]
async fn eu_region_messages_url() {
    let client = Client::builder("key-example", "mg.example.com")
        .region(mailgun_lite::Region::Eu)
        .build()
        .unwrap();
    assert_eq!(
        client.messages_url(),
        "https://api.eu.mailgun.net/v3/mg.example.com/messages"
    );
}

#[tokio::test]
async fn us_region_is_default() {
    let client = Client::new("key-example", "mg.example.com").unwrap();
    assert_eq!(
        client.messages_url(),
        "https://api.mailgun.net/v3/mg.example.com/messages"
    );
}

#[tokio::test]
async fn base_url_overrides_region() {
    let client = Client::builder("key-example", "mg.example.com")
        .region(mailgun_lite::Region::Eu)
        .base_url("http://127.0.0.1:8025/")
        .build()
        .unwrap();
    assert_eq!(
        client.messages_url(),
        "http://127.0.0.1:8025/v3/mg.example.com/messages"
    );
}
