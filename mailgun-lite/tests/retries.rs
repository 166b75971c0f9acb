//! Error mapping and retries, against the double over loopback HTTP.

use std::time::Duration;

use mailgun_lite::testing::MockReply;
use mailgun_lite::{Client, ErrorKind, Message, MockMailgun, RetryPolicy, StatusCode};

/// Retries with backoff short enough for a fast suite.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_delay(Duration::from_secs(5))
}

fn client(mock: &MockMailgun) -> Client {
    mock.client_builder()
        .retry_policy(fast_retries())
        .build()
        .unwrap()
}

fn message() -> Message {
    Message::new()
        .from("welcome@mg.example.test")
        .to("jane@example.com")
        .subject("Welcome")
        .text("Hello!")
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}

#[tokio::test]
async fn rate_limit_body_wait_then_success() {
    let mock = MockMailgun::start().await;
    // The default 429 body ends in "try again after 1 seconds".
    mock.fail_next(1, StatusCode::TOO_MANY_REQUESTS);
    let sent = client(&mock).send(&message()).await.unwrap();
    assert_eq!(mock.request_count(), 2);
    assert_eq!(mock.messages().len(), 1);
    assert_eq!(sent.message(), "Queued. Thank you.");
}

#[tokio::test]
async fn retry_after_header_then_success() {
    let mock = MockMailgun::start().await;
    let reply = MockReply::status(StatusCode::TOO_MANY_REQUESTS)
        .body(r#"{"message": "request limit exceeded"}"#)
        .retry_after("1");
    mock.reply_next(1, reply);
    client(&mock).send(&message()).await.unwrap();
    assert_eq!(mock.request_count(), 2);
    assert_eq!(mock.messages().len(), 1);
}

#[tokio::test]
async fn status_420_with_rate_limit_reset_then_success() {
    let mock = MockMailgun::start().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let reset = format!("{}.0", now + 1);
    let reply = MockReply::status(status(420))
        .body(r#"{"message": "recipient limit exceeded"}"#)
        .header("x-ratelimit-reset", &reset);
    mock.reply_next(1, reply);
    client(&mock).send(&message()).await.unwrap();
    assert_eq!(mock.request_count(), 2);
    assert_eq!(mock.messages().len(), 1);
}

#[tokio::test]
async fn rate_limit_reports_requested_wait() {
    let mock = MockMailgun::start().await;
    mock.fail_next(1, StatusCode::TOO_MANY_REQUESTS);
    let client = mock
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
    assert!(error.is_retryable());
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn rate_limit_longer_than_max_delay_is_returned() {
    let mock = MockMailgun::start().await;
    let body = r#"{"message": "Domain mg.example.test is not allowed to send: account-requests-per-sec limit exceeded, try again after 120 seconds"}"#;
    mock.reply_next(
        1,
        MockReply::status(StatusCode::TOO_MANY_REQUESTS).body(body),
    );
    let error = client(&mock).send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn server_error_twice_then_success() {
    let mock = MockMailgun::start().await;
    mock.fail_next(2, StatusCode::INTERNAL_SERVER_ERROR);
    client(&mock).send(&message()).await.unwrap();
    assert_eq!(mock.request_count(), 3);
    assert_eq!(mock.messages().len(), 1);
}

#[tokio::test]
async fn server_error_exhausts_attempts() {
    let mock = MockMailgun::start().await;
    mock.fail_next(3, StatusCode::BAD_GATEWAY);
    let error = client(&mock).send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Server);
    assert_eq!(error.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(mock.request_count(), 3);
    assert_eq!(mock.messages().len(), 0);
}

#[tokio::test]
async fn max_attempts_bounds_requests() {
    let mock = MockMailgun::start().await;
    mock.fail_next(10, StatusCode::SERVICE_UNAVAILABLE);
    let client = mock
        .client_builder()
        .retry_policy(fast_retries().max_attempts(5))
        .build()
        .unwrap();
    client.send(&message()).await.unwrap_err();
    assert_eq!(mock.request_count(), 5);
}

#[tokio::test]
async fn final_statuses_are_not_retried() {
    let cases = [
        (400, ErrorKind::BadRequest),
        (401, ErrorKind::Unauthorized),
        (402, ErrorKind::UnexpectedStatus),
        (403, ErrorKind::Forbidden),
        (404, ErrorKind::DomainNotFound),
        (413, ErrorKind::PayloadTooLarge),
    ];
    for (code, kind) in cases {
        let mock = MockMailgun::start().await;
        mock.fail_next(1, status(code));
        let error = client(&mock).send(&message()).await.unwrap_err();
        assert_eq!(error.kind(), kind, "{code}");
        assert_eq!(error.status(), Some(status(code)), "{code}");
        assert!(!error.is_retryable(), "{code}");
        assert_eq!(mock.request_count(), 1, "{code}");
    }
}

#[tokio::test]
async fn wrong_key_is_unauthorized_with_region_hint() {
    let mock = MockMailgun::start().await;
    let client = Client::builder("key-wrong", mock.domain())
        .base_url(mock.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client.send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
    assert_eq!(error.response_body(), Some("Forbidden"));
    assert!(error.to_string().contains("region"), "{error}");
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn unknown_domain_is_not_found_with_region_hint() {
    let mock = MockMailgun::start().await;
    let client = Client::builder(mock.api_key(), "other.example.test")
        .base_url(mock.base_url())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client.send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::DomainNotFound);
    assert!(error.to_string().contains("region"), "{error}");
    assert!(
        error
            .to_string()
            .contains("Domain not found: other.example.test"),
        "{error}"
    );
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn bad_request_keeps_mailgun_message() {
    let mock = MockMailgun::start().await;
    let body = r#"{"message": "to parameter is not a valid address. please check documentation"}"#;
    mock.reply_next(1, MockReply::status(StatusCode::BAD_REQUEST).body(body));
    let error = client(&mock).send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadRequest);
    assert!(
        error
            .to_string()
            .ends_with("to parameter is not a valid address. please check documentation"),
        "{error}"
    );
    assert_eq!(error.response_body(), Some(body));
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn magnificent_api_200_is_wrong_base_url() {
    let mock = MockMailgun::start().await;
    let client = Client::builder(mock.api_key(), mock.domain())
        .base_url(format!("{}/api", mock.base_url()))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client.send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::WrongBaseUrl);
    assert_eq!(error.status(), Some(StatusCode::OK));
    assert_eq!(error.response_body(), Some("Mailgun Magnificent API"));
    assert!(error.to_string().contains("check the base URL"), "{error}");
    assert_eq!(mock.request_count(), 1);
    assert_eq!(mock.messages().len(), 0);
}

#[tokio::test]
async fn hanging_server_times_out_once() {
    let mock = MockMailgun::start().await;
    mock.reply_next(1, MockReply::delayed(Duration::from_secs(60)));
    let client = mock
        .client_builder()
        .timeout(Duration::from_millis(500))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client.send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.is_timeout());
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn timeouts_retried_when_enabled() {
    let mock = MockMailgun::start().await;
    mock.reply_next(1, MockReply::delayed(Duration::from_secs(60)));
    let client = mock
        .client_builder()
        .timeout(Duration::from_millis(500))
        .retry_policy(fast_retries().retry_timeouts(true))
        .build()
        .unwrap();
    client.send(&message()).await.unwrap();
    assert_eq!(mock.request_count(), 2);
    assert_eq!(mock.messages().len(), 1);
}

#[tokio::test]
async fn refused_connection_is_retryable_connect_error() {
    // Bind and release a port, so nothing listens on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);

    let client = Client::builder("key-example", "mg.example.test")
        .base_url(format!("http://{address}"))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client.send(&message()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connect);
    assert!(error.is_retryable());
    assert_eq!(error.status(), None);
}
