//! Sends through `mailgun_lite::Client` and through a bare reqwest multipart
//! POST of the same fields, both against `MockMailgun` on loopback, to
//! measure the client's own overhead (validation, encoding, error mapping).
//!
//! Run: `cargo bench -p mailgun-lite --features testing -- --warm-up-time 1 --measurement-time 3`

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mailgun_lite::{Client, Message, MockMailgun};
use reqwest::multipart::Form;
use tokio::runtime::Runtime;

const HTML: &str = "<html><body><h1>Welcome to Acme, Jane!</h1><p>Your account is ready. \
                    Sign in at <a href=\"https://app.example.com/sign-in\">app.example.com</a> \
                    to get started.</p><p>The Acme team</p></body></html>";
const TEXT: &str = "Welcome to Acme, Jane! Your account is ready. Sign in at \
                    https://app.example.com/sign-in to get started. The Acme team";

/// Builds the welcome email as a `Message`.
fn message() -> Message {
    Message::new()
        .from("Acme <welcome@mg.example.test>")
        .to("Jane Doe <jane@example.com>")
        .subject("Welcome to Acme")
        .text(TEXT)
        .html(HTML)
        .tag("welcome")
        .correlation_id("event-0123456789abcdef")
}

/// Builds the fields of `message()` as a hand-built reqwest form.
fn bare_form() -> Form {
    Form::new()
        .text("from", "Acme <welcome@mg.example.test>")
        .text("to", "Jane Doe <jane@example.com>")
        .text("subject", "Welcome to Acme")
        .text("text", TEXT)
        .text("html", HTML)
        .text("o:tag", "welcome")
        .text("v:correlation-id", "event-0123456789abcdef")
}

/// Sends with bare reqwest: POST, Basic auth, status check, JSON parse.
async fn bare_send(http: &reqwest::Client, url: &str, api_key: &str) {
    let response = http
        .post(url)
        .basic_auth("api", Some(api_key))
        .multipart(bare_form())
        .send()
        .await
        .expect("bare send failed");
    assert!(response.status().is_success(), "{}", response.status());
    let body = response.bytes().await.expect("bare body failed");
    let parsed: serde_json::Value = serde_json::from_slice(&body).expect("bare JSON invalid");
    assert!(parsed["id"].is_string());
}

fn send(c: &mut Criterion) {
    let runtime: Runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mock = runtime.block_on(MockMailgun::start());
    let client: Client = mock.client_builder().build().expect("client");
    let http = reqwest::Client::new();
    let url = client.messages_url().to_owned();
    let api_key = mock.api_key().to_owned();
    let message = message();

    let mut group = c.benchmark_group("mailgun_lite_send");
    group.throughput(Throughput::Elements(1));
    group.bench_function("mailgun_lite", |b| {
        b.to_async(&runtime).iter(|| async {
            client.send(&message).await.expect("send failed");
        });
    });
    group.bench_function("bare_reqwest", |b| {
        b.to_async(&runtime)
            .iter(|| bare_send(&http, &url, &api_key));
    });
    group.finish();

    let ratio = runtime.block_on(interleaved_ratio(&client, &message, &http, &url, &api_key));
    eprintln!("{ratio}");

    // Both clients pool their connections. On this multi-thread runtime a
    // send can start before the previous connection is back in the pool, so a
    // few connections for tens of thousands of sends are expected. The exact
    // count of 1 for 100 sends is asserted in tests/fields.rs.
    eprintln!(
        "MockMailgun saw {} TCP connections for {} requests",
        mock.connection_count(),
        mock.request_count()
    );
}

/// Rounds of the interleaved comparison, and sends per variant per round.
const ROUNDS: usize = 15;
const SENDS_PER_ROUND: u32 = 500;

/// Alternates rounds of both variants and compares their median time per
/// send. Criterion measures the two one after the other, so on a shared
/// machine a burst of other work can slow down only one of them. Alternating
/// spreads such bursts over both.
async fn interleaved_ratio(
    client: &Client,
    message: &Message,
    http: &reqwest::Client,
    url: &str,
    api_key: &str,
) -> String {
    let mut lite = Vec::with_capacity(ROUNDS);
    let mut bare = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..SENDS_PER_ROUND {
            client.send(message).await.expect("send failed");
        }
        lite.push(started.elapsed() / SENDS_PER_ROUND);

        let started = Instant::now();
        for _ in 0..SENDS_PER_ROUND {
            bare_send(http, url, api_key).await;
        }
        bare.push(started.elapsed() / SENDS_PER_ROUND);
    }
    let lite = median(lite);
    let bare = median(bare);
    format!(
        "interleaved, median of {ROUNDS} rounds of {SENDS_PER_ROUND} sends: mailgun_lite \
         {lite:?}/send, bare_reqwest {bare:?}/send, throughput ratio mailgun_lite/bare_reqwest \
         = {:.3}",
        bare.as_secs_f64() / lite.as_secs_f64()
    )
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

criterion_group!(benches, send);
criterion_main!(benches);
