//! End to end: the welcome app (axum and actix-web variants) started from the
//! root library against the core test issuer and the Mailgun double, over
//! real loopback HTTP.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kinde_webhook::idempotency::{Idempotency, MemoryStore};
use kinde_webhook::testing::{TestIssuer, TestKey, refused_issuer_url, samples};
use kinde_webhook::{Source, Verifier};
use kinde_welcome::{AppSettings, Framework, RunningApp, WelcomeSettings};
use mailgun_lite::testing::MockReply;
use mailgun_lite::{MockMailgun, RetryPolicy, StatusCode};
use serde_json::Value;

const FRAMEWORKS: [Framework; 2] = [Framework::Axum, Framework::Actix];
const SIGN_IN_URL: &str = "https://app.example.com/login?from=welcome&x=1";

struct Rig {
    issuer: TestIssuer,
    mailgun: MockMailgun,
    app: RunningApp,
    http: reqwest::Client,
}

struct Options {
    sources: Vec<Source>,
    queue_capacity: usize,
    issuer_url: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            sources: vec![Source::Admin, Source::Api, Source::User],
            queue_capacity: 1024,
            issuer_url: None,
        }
    }
}

async fn start(framework: Framework, options: Options) -> Rig {
    let issuer = TestIssuer::start().await;
    let mailgun = MockMailgun::start().await;

    let verifier = match &options.issuer_url {
        Some(url) => Verifier::builder(url.as_str())
            .fetch_timeout(Duration::from_millis(500))
            .build()
            .unwrap(),
        None => issuer.verifier(),
    };
    let retry = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(20))
        .max_delay(Duration::from_millis(100));
    let client = mailgun
        .client_builder()
        .retry_policy(retry)
        .build()
        .unwrap();
    let welcome = welcome_settings(options.sources, None);
    let mut settings = AppSettings::new(
        verifier,
        client,
        welcome,
        Idempotency::new(MemoryStore::new()),
    );
    settings.queue_capacity = options.queue_capacity;
    settings.drain_timeout = Duration::from_secs(10);

    let app = kinde_welcome::start(framework, settings, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    Rig {
        issuer,
        mailgun,
        app,
        http: reqwest::Client::new(),
    }
}

impl Rig {
    async fn post(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.http
            .post(self.app.webhook_url())
            .header("content-type", "application/jwt")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn post_event(&self, sample: &samples::SampleEvent) -> reqwest::Response {
        self.post(self.issuer.sign(&sample.to_json())).await
    }

    /// Stops the app, which drains the queue, and returns the emails Mailgun accepted.
    async fn finish(self) -> Vec<mailgun_lite::testing::RecordedMessage> {
        let report = self.app.shutdown().await;
        assert!(report.unsent.is_empty(), "unsent: {:?}", report.unsent);
        self.mailgun.messages()
    }
}

fn welcome_settings(sources: Vec<Source>, template: Option<&str>) -> WelcomeSettings {
    WelcomeSettings {
        from: "Acme <welcome@mg.example.com>".to_owned(),
        sign_in_url: SIGN_IN_URL.to_owned(),
        sources,
        template: template.map(str::to_owned),
    }
}

/// Starts the axum app with a memory store and the given Mailgun client.
async fn start_axum(
    issuer: &TestIssuer,
    client: mailgun_lite::Client,
    welcome: WelcomeSettings,
) -> RunningApp {
    let settings = AppSettings::new(
        issuer.verifier(),
        client,
        welcome,
        Idempotency::new(MemoryStore::new()),
    );
    kinde_welcome::start(Framework::Axum, settings, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Signs `sample` with the issuer and posts it to the app.
async fn post_signed(
    app: &RunningApp,
    issuer: &TestIssuer,
    sample: &samples::SampleEvent,
) -> reqwest::Response {
    let token = issuer.sign(&sample.to_json());
    reqwest::Client::new()
        .post(app.webhook_url())
        .body(token)
        .send()
        .await
        .unwrap()
}

fn new_user() -> samples::SampleEvent {
    samples::user_created()
        .email(Some("ada@example.com"))
        .first_name(Some("Ada <b>&</b>"))
        .source("admin")
}

async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_created_sends_one_welcome_email() {
    for framework in FRAMEWORKS {
        let rig = start(framework, Options::default()).await;
        let sample = new_user();
        let event_id = sample.to_event().event_id;

        let response = rig.post_event(&sample).await;
        assert_eq!(response.status(), 200, "{framework:?}");
        let messages = rig.finish().await;

        assert_eq!(messages.len(), 1, "{framework:?}");
        let message = &messages[0];
        assert_eq!(
            message.field("to"),
            vec!["\"Ada <b>&</b>\" <ada@example.com>"],
            "{framework:?}"
        );
        assert_eq!(
            message.first("subject"),
            Some("Welcome, Ada <b>&</b>!"),
            "{framework:?}"
        );
        assert!(
            message.first("text").unwrap().contains(SIGN_IN_URL),
            "{framework:?}"
        );
        let html = message.first("html").unwrap();
        assert!(
            html.contains("Hi Ada &lt;b&gt;&amp;&lt;/b&gt;,"),
            "{framework:?}: {html}"
        );
        assert!(!html.contains("<b>&</b>"), "{framework:?}: {html}");
        assert!(
            html.contains("https://app.example.com/login?from=welcome&amp;x=1"),
            "{framework:?}: {html}"
        );
        assert_eq!(message.field("o:tag"), vec!["welcome"], "{framework:?}");
        assert_eq!(
            message.first("v:kinde-event-id"),
            Some(event_id.as_str()),
            "{framework:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redelivered_event_sends_one_email() {
    for framework in FRAMEWORKS {
        let rig = start(framework, Options::default()).await;
        let token = rig.issuer.sign(&new_user().to_json());

        for _ in 0..3 {
            let response = rig.post(token.clone()).await;
            assert_eq!(response.status(), 200, "{framework:?}");
        }
        let messages = rig.finish().await;

        assert_eq!(messages.len(), 1, "{framework:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_without_a_welcome_answer_200_and_send_nothing() {
    for framework in FRAMEWORKS {
        let options = Options {
            sources: vec![Source::Admin, Source::Api],
            ..Options::default()
        };
        let rig = start(framework, options).await;
        let cases = [
            ("user.updated", samples::user_updated()),
            (
                "unknown type",
                samples::event("subscription.created", serde_json::json!({"id": "sub_1"})),
            ),
            ("source not allowed", new_user().source("user")),
            ("email null", samples::user_created().email(None)),
            ("email empty", samples::user_created().email(Some(""))),
        ];

        for (name, sample) in &cases {
            let response = rig.post_event(sample).await;
            assert_eq!(response.status(), 200, "{framework:?} {name}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["status"], "ignored", "{framework:?} {name}");
        }
        let requests = rig.mailgun.request_count();
        let messages = rig.finish().await;

        assert_eq!(requests, 0, "{framework:?}");
        assert!(messages.is_empty(), "{framework:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_have_their_status_and_send_nothing() {
    for framework in FRAMEWORKS {
        let rig = start(framework, Options::default()).await;
        let payload = new_user().to_json();
        let cases: Vec<(&str, reqwest::Body, u16)> = vec![
            ("not a JWT", "hello".into(), 400),
            ("empty body", "".into(), 400),
            (
                "another key with the same kid",
                TestKey::impostor().sign(&payload).into(),
                401,
            ),
            ("unknown kid", TestKey::rotated().sign(&payload).into(), 401),
            ("over the size limit", vec![b'a'; 300 * 1024].into(), 413),
        ];

        for (name, body, status) in cases {
            let response = rig.post(body).await;
            assert_eq!(response.status().as_u16(), status, "{framework:?} {name}");
        }
        let messages = rig.finish().await;

        assert!(messages.is_empty(), "{framework:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_unreachable_answers_503() {
    for framework in FRAMEWORKS {
        let options = Options {
            issuer_url: Some(refused_issuer_url().await),
            ..Options::default()
        };
        let rig = start(framework, options).await;

        let response = rig.post_event(&new_user()).await;

        assert_eq!(response.status(), 503, "{framework:?}");
        assert_eq!(response.headers()["retry-after"], "30", "{framework:?}");
        assert!(rig.finish().await.is_empty(), "{framework:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailgun_failing_twice_still_delivers_once() {
    for framework in FRAMEWORKS {
        let rig = start(framework, Options::default()).await;
        rig.mailgun.fail_next(2, StatusCode::INTERNAL_SERVER_ERROR);

        let response = rig.post_event(&new_user()).await;
        assert_eq!(response.status(), 200, "{framework:?}");
        let requests = {
            let mailgun = &rig.mailgun;
            wait_until("Mailgun accepted the email", || {
                !mailgun.messages().is_empty()
            })
            .await;
            mailgun.request_count()
        };
        let messages = rig.finish().await;

        assert_eq!(requests, 3, "{framework:?}");
        assert_eq!(messages.len(), 1, "{framework:?}");
    }
}

/// Collects formatted log lines, to check what was logged at `error`.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime keeps the email worker on this thread, where the
// scoped log subscriber is active.
#[tokio::test]
async fn mailgun_rejecting_logs_an_error_and_answers_200() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let rig = start(Framework::Axum, Options::default()).await;
    rig.mailgun.fail_next(1, StatusCode::UNAUTHORIZED);
    let sample = new_user();
    let event_id = sample.to_event().event_id;

    let response = rig.post_event(&sample).await;
    assert_eq!(response.status(), 200);
    wait_until("Mailgun was called", || rig.mailgun.request_count() == 1).await;
    let requests_before_shutdown = rig.mailgun.request_count();
    let messages = rig.finish().await;
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();

    assert_eq!(requests_before_shutdown, 1);
    assert!(messages.is_empty());
    let error_line = logs
        .lines()
        .find(|line| line.contains("ERROR") && line.contains("welcome email not sent"));
    let error_line = error_line.unwrap_or_else(|| panic!("no error logged:\n{logs}"));
    assert!(error_line.contains(&event_id), "{error_line}");
    assert!(error_line.contains("401"), "{error_line}");
    assert!(
        !logs.contains("Welcome aboard"),
        "an email body was logged:\n{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_answers_503() {
    for framework in FRAMEWORKS {
        let rig = start(
            framework,
            Options {
                queue_capacity: 1,
                ..Options::default()
            },
        )
        .await;
        rig.mailgun
            .reply_next(1, MockReply::delayed(Duration::from_millis(500)));

        assert_eq!(
            rig.post_event(&new_user()).await.status(),
            200,
            "{framework:?} first"
        );
        wait_until("the worker is sending the first email", || {
            rig.mailgun.request_count() == 1
        })
        .await;
        assert_eq!(
            rig.post_event(&new_user()).await.status(),
            200,
            "{framework:?} second fills the queue"
        );
        let full = rig.post_event(&new_user()).await;

        assert_eq!(full.status(), 503, "{framework:?}");
        assert_eq!(full.headers()["retry-after"], "30", "{framework:?}");
        assert_eq!(rig.finish().await.len(), 2, "{framework:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_queued_emails() {
    for framework in FRAMEWORKS {
        let rig = start(framework, Options::default()).await;
        rig.mailgun
            .reply_next(5, MockReply::delayed(Duration::from_millis(100)));

        for _ in 0..5 {
            assert_eq!(
                rig.post_event(&new_user()).await.status(),
                200,
                "{framework:?}"
            );
        }
        let queued = rig.app.queue().depth();
        let messages = rig.finish().await;

        assert!(
            queued >= 3,
            "{framework:?}: only {queued} emails were still queued at shutdown"
        );
        assert_eq!(messages.len(), 5, "{framework:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_jwks_and_queue() {
    for framework in FRAMEWORKS {
        let rig = start(framework, Options::default()).await;
        let url = format!("http://{}/healthz", rig.app.address());

        let before: Value = rig
            .http
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        rig.post_event(&new_user()).await;
        let after = rig.http.get(&url).send().await.unwrap();
        let status = after.status();
        let after: Value = after.json().await.unwrap();

        assert_eq!(status, 200, "{framework:?}");
        assert_eq!(before["jwks"], "empty", "{framework:?}");
        assert_eq!(after["jwks"], "fresh", "{framework:?}");
        assert!(after["queue_depth"].is_u64(), "{framework:?}");
        assert_eq!(after["queue_capacity"], 1024, "{framework:?}");
        rig.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_stays_200_when_kinde_is_down() {
    for framework in FRAMEWORKS {
        let options = Options {
            issuer_url: Some(refused_issuer_url().await),
            ..Options::default()
        };
        let rig = start(framework, options).await;
        rig.post_event(&new_user()).await;

        let response = rig
            .http
            .get(format!("http://{}/healthz", rig.app.address()))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 200, "{framework:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["jwks"], "empty", "{framework:?}");
        rig.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_logs_unsent_when_drain_time_runs_out() {
    let issuer = TestIssuer::start().await;
    let mailgun = MockMailgun::start().await;
    mailgun.reply_next(10, MockReply::delayed(Duration::from_secs(2)));
    let client = mailgun
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let welcome = welcome_settings(vec![Source::Admin], None);
    let mut settings = AppSettings::new(
        issuer.verifier(),
        client,
        welcome,
        Idempotency::new(MemoryStore::new()),
    );
    settings.drain_timeout = Duration::from_millis(300);
    let app = kinde_welcome::start(Framework::Axum, settings, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();

    let mut event_ids = Vec::new();
    for _ in 0..3 {
        let sample = new_user();
        event_ids.push(sample.to_event().event_id);
        let response = http
            .post(app.webhook_url())
            .body(issuer.sign(&sample.to_json()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let report = app.shutdown().await;

    assert_eq!(report.sent, 0);
    assert_eq!(report.unsent.len(), 3, "{report:?}");
    for event_id in &event_ids {
        assert!(
            report.unsent.contains(event_id),
            "{event_id} missing from {report:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_mode_sends_template_variables() {
    let issuer = TestIssuer::start().await;
    let mailgun = MockMailgun::start().await;
    let welcome = welcome_settings(vec![Source::Admin], Some("welcome-v1"));
    let client = mailgun.client_builder().build().unwrap();
    let app = start_axum(&issuer, client, welcome).await;

    let response = post_signed(&app, &issuer, &new_user()).await;
    assert_eq!(response.status(), 200);
    app.shutdown().await;
    let messages = mailgun.messages();

    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].first("template"), Some("welcome-v1"));
    assert_eq!(messages[0].first("html"), None);
    let variables: Value = serde_json::from_str(messages[0].first("t:variables").unwrap()).unwrap();
    assert_eq!(variables["first_name"], "Ada <b>&</b>");
    assert_eq!(variables["sign_in_url"], SIGN_IN_URL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_user_fields_still_get_the_email() {
    let rig = start(Framework::Axum, Options::default()).await;
    let sample = new_user().with_data(|data| {
        data["user"]["phone"] = serde_json::json!(12345);
        data["user"]["is_suspended"] = serde_json::json!("false");
    });
    assert!(
        matches!(sample.to_event().data, kinde_webhook::EventData::Other(_)),
        "the sample must miss the typed model"
    );

    let response = rig.post_event(&sample).await;
    let body: Value = response.json().await.unwrap();
    let messages = rig.finish().await;

    assert_eq!(body["status"], "queued");
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].field("to"),
        vec!["\"Ada <b>&</b>\" <ada@example.com>"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_address_is_ignored_without_sending() {
    let rig = start(Framework::Axum, Options::default()).await;

    let response = rig
        .post_event(&new_user().email(Some("not-an-email")))
        .await;
    let body: Value = response.json().await.unwrap();
    let requests = rig.mailgun.request_count();
    rig.finish().await;

    assert_eq!(body["status"], "ignored");
    assert_eq!(requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_rate_limit_is_waited_out() {
    let issuer = TestIssuer::start().await;
    let mailgun = MockMailgun::start().await;
    // Mailgun requests a 1 s wait, over the client's 100 ms cap, so the client gives up and the worker waits.
    mailgun.reply_next(
        1,
        MockReply::status(StatusCode::TOO_MANY_REQUESTS).retry_after("1"),
    );
    let retry = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(20))
        .max_delay(Duration::from_millis(100));
    let client = mailgun
        .client_builder()
        .retry_policy(retry)
        .build()
        .unwrap();
    let welcome = welcome_settings(vec![Source::Admin], None);
    let app = start_axum(&issuer, client, welcome).await;

    let response = post_signed(&app, &issuer, &new_user()).await;
    assert_eq!(response.status(), 200);
    let messages = mailgun.wait_for_messages(1, Duration::from_secs(10)).await;
    let report = app.shutdown().await;

    assert_eq!(messages.map(|messages| messages.len()), Some(1));
    assert_eq!(mailgun.request_count(), 2);
    assert!(report.unsent.is_empty());
}

/// Returns `REDIS_URL`, or `None` after printing why the test is skipped.
/// With `REQUIRE_REDIS=1` (as CI sets), a missing URL fails the test.
fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty());
    if url.is_none() {
        let required = std::env::var("REQUIRE_REDIS").is_ok_and(|value| value == "1");
        assert!(!required, "REQUIRE_REDIS=1 but REDIS_URL is not set");
        println!("skipped: REDIS_URL is not set (start redis-server and export REDIS_URL)");
    }
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_and_actix_instances_share_redis() {
    let Some(url) = redis_url() else {
        return;
    };
    let issuer = TestIssuer::start().await;
    let mailgun = MockMailgun::start().await;
    let prefix = format!("welcome-test:{}:", samples::fresh_event_id());

    let mut apps = Vec::new();
    for framework in FRAMEWORKS {
        let store = kinde_webhook::idempotency::RedisStore::builder(url.as_str())
            .key_prefix(prefix.as_str())
            .build()
            .unwrap();
        let welcome = welcome_settings(vec![Source::Admin], None);
        let client = mailgun.client_builder().build().unwrap();
        let settings =
            AppSettings::new(issuer.verifier(), client, welcome, Idempotency::new(store));
        apps.push(
            kinde_welcome::start(framework, settings, "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap(),
        );
    }

    let token = issuer.sign(&new_user().to_json());
    let http = reqwest::Client::new();
    let mut deliveries = tokio::task::JoinSet::new();
    for round in 0..10 {
        let url = apps[round % 2].webhook_url();
        let request = http.post(url).body(token.clone());
        deliveries.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = deliveries.join_next().await {
        statuses.push(status.unwrap());
    }
    for app in apps {
        let report = app.shutdown().await;
        assert!(report.unsent.is_empty(), "{report:?}");
    }

    assert!(
        statuses
            .iter()
            .all(|status| *status == 200 || *status == 409),
        "{statuses:?}"
    );
    assert_eq!(mailgun.messages().len(), 1, "{statuses:?}");
}
