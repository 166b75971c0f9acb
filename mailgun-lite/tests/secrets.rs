//! The API key and email bodies stay out of `Debug`, `Display`, errors and
//! logs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailgun_lite::{Client, ErrorKind, Message, MockMailgun, RetryPolicy, StatusCode};

const KEY: &str = "key-9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const BODY: &str = "Your one-time code is 314159";

/// A log sink shared between the subscriber and the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn message() -> Message {
    Message::new()
        .from("welcome@mg.example.test")
        .to("jane@example.com")
        .text(BODY)
        .html(format!("<p>{BODY}</p>"))
}

#[test]
fn client_debug_hides_key() {
    let builder = Client::builder(KEY, "mg.example.com");
    let builder_debug = format!("{builder:?}");
    assert!(!builder_debug.contains(KEY), "{builder_debug}");
    assert!(builder_debug.contains("[redacted]"), "{builder_debug}");

    let client = builder.build().unwrap();
    let client_debug = format!("{client:?}");
    assert!(!client_debug.contains(KEY), "{client_debug}");
    assert!(client_debug.contains("mg.example.com"), "{client_debug}");
}

#[test]
fn base_url_credentials_are_hidden_and_rejected() {
    let builder = Client::builder("key-other", "mg.example.com")
        .base_url(format!("https://api:{KEY}@api.mailgun.net"));
    let builder_debug = format!("{builder:?}");
    assert!(!builder_debug.contains(KEY), "{builder_debug}");

    let error = builder.build().unwrap_err();
    let rendered = format!("{error} {error:?}");
    assert_eq!(error.kind(), ErrorKind::InvalidConfig);
    assert!(!rendered.contains(KEY), "{rendered}");
    assert!(rendered.contains("user name or password"), "{rendered}");
}

#[test]
fn message_debug_hides_body() {
    let debug = format!("{:?}", message());
    assert!(!debug.contains("314159"), "{debug}");
}

#[tokio::test]
async fn mock_debug_hides_key_and_body() {
    let mock = MockMailgun::builder().api_key(KEY).start().await.unwrap();
    mock.client_builder()
        .build()
        .unwrap()
        .send(&message())
        .await
        .unwrap();
    let debug = format!("{mock:?} {:?}", mock.messages());
    assert!(!debug.contains(KEY), "{debug}");
    assert!(!debug.contains("314159"), "{debug}");
}

#[tokio::test]
async fn errors_hide_key() {
    // The double expects another key, so this key is rejected with 401.
    let mock = MockMailgun::start().await;
    let client = Client::builder(KEY, mock.domain())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let error = client.send(&message()).await.unwrap_err();
    let rendered = format!("{error} {error:?}");
    assert!(!rendered.contains(KEY), "{rendered}");
    assert!(rendered.contains("API key"), "{rendered}");
}

#[tokio::test]
async fn retry_logs_hide_key_and_body() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime has one thread, so the thread-local subscriber
    // receives the events of both the client and the double.
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = MockMailgun::builder().api_key(KEY).start().await.unwrap();
    mock.fail_next(2, StatusCode::SERVICE_UNAVAILABLE);
    let client = mock
        .client_builder()
        .retry_policy(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    client.send(&message()).await.unwrap();

    let logs = captured.text();
    let retries = logs
        .lines()
        .filter(|line| line.contains("retrying"))
        .count();
    assert_eq!(retries, 2, "{logs}");
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("attempt=1"), "{logs}");
    assert!(logs.contains("status=503"), "{logs}");
    assert!(!logs.contains(KEY), "{logs}");
    assert!(!logs.contains("314159"), "{logs}");
}
