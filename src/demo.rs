//! Demo mode: the whole path on one machine, with no configuration.
//!
//! An embedded test issuer (fixed demo keys, test-only) serves a JWKS and
//! signs a sample `user.created`; an embedded Mailgun double receives the
//! email. Nothing leaves `127.0.0.1`.

use std::net::SocketAddr;
use std::time::Duration;

use kinde_webhook::idempotency::{Idempotency, MemoryStore};
use kinde_webhook::testing::{TestIssuer, samples};
use mailgun_lite::MockMailgun;

use crate::config::WelcomeSettings;
use crate::{AppSettings, Framework};

/// The sender of demo emails.
pub const DEMO_FROM: &str = "Acme Demo <welcome@demo.example.com>";

/// The sign-in link of demo emails.
pub const DEMO_SIGN_IN_URL: &str = "https://app.example.com/login";

/// An error that stops the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The app could not listen on the address.
    #[error(
        "cannot listen on BIND_ADDR {address}: {source}; set BIND_ADDR to a free address, e.g. 127.0.0.1:3001"
    )]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The embedded parts could not start.
    #[error("the demo could not start: {0}")]
    Setup(String),
}

/// Runs the demo until SIGINT or SIGTERM.
pub async fn run(bind_addr: SocketAddr, framework: Framework) -> Result<(), DemoError> {
    let issuer = TestIssuer::start().await;
    let mailgun = MockMailgun::start().await;
    tracing::info!(issuer = %issuer.issuer_url(), mailgun = %mailgun.base_url(), "demo: started a test Kinde issuer and a Mailgun double on loopback");

    let client = mailgun
        .client_builder()
        .build()
        .map_err(|error| DemoError::Setup(error.to_string()))?;
    let welcome = WelcomeSettings {
        from: DEMO_FROM.to_owned(),
        sign_in_url: DEMO_SIGN_IN_URL.to_owned(),
        sources: vec![
            kinde_webhook::Source::Admin,
            kinde_webhook::Source::Api,
            kinde_webhook::Source::User,
        ],
        template: None,
    };
    let settings = AppSettings::new(
        issuer.verifier(),
        client,
        welcome,
        Idempotency::new(MemoryStore::new()),
    );
    let app = crate::start(framework, settings, bind_addr)
        .await
        .map_err(|source| DemoError::Bind {
            address: bind_addr,
            source,
        })?;

    send_sample(&issuer, &app.webhook_url()).await;
    show_received(&mailgun).await;
    print_curl(&issuer, &app.webhook_url());

    let report = app.run_until_signal().await;
    tracing::info!(
        sent_at_shutdown = report.sent,
        unsent = report.unsent.len(),
        emails_received = mailgun.messages().len(),
        "demo stopped"
    );
    Ok(())
}

/// Signs a sample `user.created` and posts it to the app, as Kinde would.
async fn send_sample(issuer: &TestIssuer, webhook_url: &str) {
    let sample = samples::user_created()
        .email(Some("ada@example.com"))
        .first_name(Some("Ada"))
        .last_name(Some("Lovelace"));
    let token = issuer.sign(&sample.to_json());
    tracing::info!(event_id = %sample.to_event().event_id, "demo: sending a signed user.created webhook");

    let response = reqwest::Client::new()
        .post(webhook_url)
        .header(reqwest::header::CONTENT_TYPE, "application/jwt")
        .body(token)
        .send()
        .await;
    match response {
        Ok(response) => tracing::info!(
            status = response.status().as_u16(),
            "demo: the app answered the webhook"
        ),
        Err(error) => tracing::error!(error = %error, "demo: the webhook could not be sent"),
    }
}

/// Waits for the double to receive the email and logs it. The demo email is
/// made up, so showing its body here reveals nothing.
async fn show_received(mailgun: &MockMailgun) {
    if mailgun
        .wait_for_messages(1, Duration::from_secs(10))
        .await
        .is_none()
    {
        tracing::error!("demo: the Mailgun double received no email within 10 s");
        return;
    }
    for message in mailgun.messages() {
        tracing::info!(
            to = ?message.field("to"),
            from = message.first("from").unwrap_or_default(),
            subject = message.first("subject").unwrap_or_default(),
            tag = ?message.field("o:tag"),
            event_id = message.first("v:kinde-event-id").unwrap_or_default(),
            "demo: the Mailgun double received the welcome email"
        );
        tracing::info!(
            "demo: text body:\n{}",
            message.first("text").unwrap_or_default()
        );
    }
}

fn print_curl(issuer: &TestIssuer, webhook_url: &str) {
    let sample = samples::user_created()
        .email(Some("grace@example.com"))
        .first_name(Some("Grace"))
        .last_name(Some("Hopper"))
        .with_data(|data| data["user"]["username"] = serde_json::json!("grace"));
    let token = issuer.sign(&sample.to_json());
    println!();
    println!("Send another signed user.created (a new event id, so a new email):");
    println!("  curl -i -X POST {webhook_url} -H 'Content-Type: application/jwt' --data '{token}'");
    println!("Press Ctrl-C to stop.");
    println!();
}
