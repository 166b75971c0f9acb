//! Helpers shared by the integration tests: a webhook app whose handler
//! counts its calls, served by axum on an ephemeral loopback port.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use kinde_webhook::{Event, Verifier};
use kinde_webhook_tower::{KindeEvent, KindeWebhookLayer};
use tokio::net::TcpListener;

/// What the webhook handler saw: how often it ran and the last event.
#[derive(Clone, Default)]
pub struct Calls {
    count: Arc<AtomicUsize>,
    last_event: Arc<Mutex<Option<Event>>>,
}

impl Calls {
    /// Records one handler call.
    pub fn record(&self, event: &Event) {
        self.count.fetch_add(1, Ordering::SeqCst);
        *self.last_event.lock().unwrap() = Some(event.clone());
    }

    /// Returns how many times the handler ran.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Returns the last event the handler received.
    pub fn last_event(&self) -> Option<Event> {
        self.last_event.lock().unwrap().clone()
    }
}

/// The webhook handler of the test app: records the call and responds 200
/// with `"{event_id} {source}"`.
pub async fn on_webhook(
    State(calls): State<Calls>,
    KindeEvent(event): KindeEvent,
) -> (StatusCode, String) {
    calls.record(&event);
    (
        StatusCode::OK,
        format!("{} {}", event.event_id, event.source.as_str()),
    )
}

/// Builds an app with `POST /webhooks/kinde` behind `layer` and an unrelated
/// `POST /echo` route without it.
pub fn webhook_app(layer: KindeWebhookLayer, calls: Calls) -> Router {
    Router::new()
        .route("/webhooks/kinde", post(on_webhook).layer(layer))
        .route("/echo", post(|body: String| async move { body }))
        .with_state(calls)
}

/// Serves `app` on an ephemeral loopback port and returns its address. The
/// server runs until the test's runtime stops.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding a loopback port succeeds");
    let address = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("the test server runs");
    });
    address
}

/// Serves the standard webhook app with a default layer for `verifier`.
pub async fn serve_webhook_app(verifier: Verifier) -> (String, Calls) {
    let calls = Calls::default();
    let address = serve(webhook_app(KindeWebhookLayer::new(verifier), calls.clone())).await;
    (format!("http://{address}/webhooks/kinde"), calls)
}

/// Sends `body` to `url` as Kinde does, with `Content-Type: application/jwt`.
pub async fn post_jwt(url: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/jwt")
        .body(body)
        .send()
        .await
        .expect("the test server responds")
}

/// Reads a JSON response body.
pub async fn json_body(response: reqwest::Response) -> serde_json::Value {
    let text = response.text().await.expect("the response body arrives");
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("the body {text:?} is not JSON: {error}"))
}

/// The behaviour of one call of [`ScriptedHandler`] after it passes the gate.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// Responds with this status.
    Status(StatusCode),
    /// Panics.
    Panic,
}

/// A webhook handler whose calls are counted, can be held at a gate, and
/// follow a script of outcomes (200 once the script is used up).
pub struct ScriptedHandler {
    calls: AtomicUsize,
    gate: tokio::sync::Semaphore,
    script: Mutex<std::collections::VecDeque<Outcome>>,
}

impl ScriptedHandler {
    /// Creates a handler that passes every call through at once.
    pub fn open() -> Arc<Self> {
        Self::with_permits(tokio::sync::Semaphore::MAX_PERMITS)
    }

    /// Creates a handler that keeps every call waiting at the gate until
    /// [`ScriptedHandler::let_through`] lets it pass.
    pub fn gated() -> Arc<Self> {
        Self::with_permits(0)
    }

    fn with_permits(permits: usize) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicUsize::new(0),
            gate: tokio::sync::Semaphore::new(permits),
            script: Mutex::new(std::collections::VecDeque::new()),
        })
    }

    /// Queues the outcome of the next unscripted call.
    pub fn then(&self, outcome: Outcome) {
        self.script.lock().unwrap().push_back(outcome);
    }

    /// Lets `calls` held calls pass the gate.
    pub fn let_through(&self, calls: usize) {
        self.gate.add_permits(calls);
    }

    /// Returns how many times the handler was entered.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Builds an app with `POST /webhooks/kinde` behind `layer`, handled by `handler`.
    pub fn app(handler: &Arc<Self>, layer: KindeWebhookLayer) -> Router {
        Router::new()
            .route("/webhooks/kinde", post(Self::handle).layer(layer))
            .with_state(Arc::clone(handler))
    }

    async fn handle(
        State(handler): State<Arc<Self>>,
        KindeEvent(event): KindeEvent,
    ) -> (StatusCode, String) {
        handler.calls.fetch_add(1, Ordering::SeqCst);
        handler
            .gate
            .acquire()
            .await
            .expect("the gate is never closed")
            .forget();

        let outcome = handler.script.lock().unwrap().pop_front();
        match outcome {
            Some(Outcome::Panic) => panic!("the test handler panics on purpose"),
            Some(Outcome::Status(status)) => (status, format!("handled {}", event.event_id)),
            None => (StatusCode::OK, format!("handled {}", event.event_id)),
        }
    }
}
