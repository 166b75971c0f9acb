//! Helpers shared by the integration tests: a real actix-web server on an
//! ephemeral loopback port, a handler that counts its calls, and a client.

#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use bytes::Bytes;
use futures_util::{Stream, StreamExt as _, stream};
use kinde_webhook_actix::KindeEvent;
use serde_json::json;
use tokio::task::JoinHandle;

/// The path every test app serves its webhook route on.
pub const WEBHOOK_PATH: &str = "/webhooks/kinde";

/// An actix-web `HttpServer` bound to `127.0.0.1:0`, running on a spawned task.
pub struct TestServer {
    address: SocketAddr,
    handle: ServerHandle,
    task: JoinHandle<io::Result<()>>,
}

impl TestServer {
    /// Starts a server with `workers` worker threads, each running an app
    /// built by `configure`.
    pub fn start<F>(workers: usize, configure: F) -> Self
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let server = HttpServer::new(move || {
            let configure = configure.clone();
            App::new().configure(move |config| configure(config))
        })
        .workers(workers)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("binding a loopback port succeeds");

        let address = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        Self {
            address,
            handle,
            task,
        }
    }

    /// Returns the URL of the webhook route.
    pub fn webhook_url(&self) -> String {
        format!("http://{}{WEBHOOK_PATH}", self.address)
    }

    /// Stops the server without waiting for open connections, and waits for it to exit.
    pub async fn stop(self) {
        self.handle.stop(false).await;
        self.task
            .await
            .expect("the server task does not panic")
            .expect("the server exits cleanly");
    }
}

/// A counter of handler calls. It is registered as app data and shared by every worker.
pub type Calls = web::Data<AtomicUsize>;

/// Returns a new call counter at zero.
pub fn calls() -> Calls {
    web::Data::new(AtomicUsize::new(0))
}

/// Returns how many times the handler ran.
pub fn count(calls: &Calls) -> usize {
    calls.load(Ordering::SeqCst)
}

/// A webhook handler that counts its calls and echoes what it received as JSON.
pub async fn count_and_echo(calls: Calls, event: KindeEvent) -> HttpResponse {
    calls.fetch_add(1, Ordering::SeqCst);

    let event = event.into_inner();
    let email = event
        .user()
        .and_then(|user| user.email())
        .map(str::to_owned);
    HttpResponse::Ok().json(json!({
        "event_id": event.event_id,
        "type": event.event_type,
        "source": event.source.as_str(),
        "email": email,
    }))
}

/// Returns an HTTP client that never uses a proxy, so requests stay on loopback.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client without TLS settings builds")
}

/// Returns a response's `Retry-After` header as text.
pub fn retry_after(response: &reqwest::Response) -> Option<String> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    Some(value.to_str().expect("Retry-After is ASCII").to_owned())
}

/// Reads a response body as JSON.
pub async fn json_body(response: reqwest::Response) -> serde_json::Value {
    let text = response.text().await.expect("the response body arrives");
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("the body {text:?} is not JSON: {error}"))
}

/// How long a request may take before a test calls it a hang.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// Builds a chunked body stream of `total` bytes of `a` in 1 KiB chunks that
/// then never ends, so that only a server that stops reading at its limit
/// can respond.
pub fn endless_body(
    total: usize,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    const KIB: usize = 1024;

    let chunks = total / KIB;
    stream::iter((0..chunks).map(|_| Ok(Bytes::from(vec![b'a'; KIB])))).chain(stream::pending())
}

/// Sends `request` and fails the test if no response arrives within [`HANG_GUARD`].
pub async fn send_guarded(request: reqwest::RequestBuilder) -> reqwest::Response {
    tokio::time::timeout(HANG_GUARD, request.send())
        .await
        .expect("the server responded before the end of the body")
        .expect("the test server responds")
}
