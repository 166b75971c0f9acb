//! De-duplication through a real `redis-server`: one shared by two app
//! instances (named by `REDIS_URL`), and one the test starts and kills.
//!
//! Without `REDIS_URL` (or without a `redis-server` binary) the tests print
//! why and pass, unless `REQUIRE_REDIS=1` is set, as CI does.

#![cfg(feature = "axum")]

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{ScriptedHandler, json_body, post_jwt, serve};
use kinde_webhook::idempotency::RedisStore;
use kinde_webhook::testing::{TestIssuer, samples};
use kinde_webhook_tower::KindeWebhookLayer;

fn redis_required() -> bool {
    std::env::var("REQUIRE_REDIS").is_ok_and(|value| value == "1")
}

/// Returns `REDIS_URL`, or `None` after printing why the test is skipped.
fn redis_url() -> Option<String> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if redis_required() => panic!("REQUIRE_REDIS=1 but REDIS_URL is not set"),
        _ => {
            println!("skipped: REDIS_URL is not set (start redis-server and export REDIS_URL)");
            None
        }
    }
}

/// Returns a key prefix that no other test run uses.
fn unique_prefix(test: &str, event_id: &str) -> String {
    format!(
        "kinde-webhook-tower-test:{test}:{}:{event_id}:",
        std::process::id()
    )
}

async fn serve_instance(
    issuer: &TestIssuer,
    handler: &Arc<ScriptedHandler>,
    redis_url: &str,
    prefix: &str,
) -> String {
    let store = RedisStore::builder(redis_url)
        .key_prefix(prefix)
        .build()
        .unwrap();
    let layer = KindeWebhookLayer::new(issuer.verifier()).idempotency(store);
    let address = serve(ScriptedHandler::app(handler, layer)).await;
    format!("http://{address}/webhooks/kinde")
}

#[tokio::test]
async fn two_instances_call_handler_once() {
    let Some(redis_url) = redis_url() else {
        return;
    };
    let issuer = TestIssuer::start().await;
    let sample = samples::user_created();
    let event_id = sample.to_json()["event_id"].as_str().unwrap().to_owned();
    let token = issuer.sign(&sample.to_json());
    let prefix = unique_prefix("two_instances", &event_id);

    // Two servers with their own verifier and store, sharing only Redis and
    // the handler's call count. The handler keeps the first delivery at its
    // gate, so the copy sent to the other instance certainly overlaps it.
    let handler = ScriptedHandler::gated();
    let first_url = serve_instance(&issuer, &handler, &redis_url, &prefix).await;
    let second_url = serve_instance(&issuer, &handler, &redis_url, &prefix).await;

    let mut first = tokio::spawn(post_jwt_owned(first_url.clone(), token.clone()));
    let mut second = tokio::spawn(post_jwt_owned(second_url.clone(), token.clone()));
    let (in_progress, held) = tokio::select! {
        response = &mut first => (response.unwrap(), second),
        response = &mut second => (response.unwrap(), first),
    };
    assert_eq!(in_progress.status(), StatusCode::CONFLICT);
    assert_eq!(in_progress.headers()["retry-after"], "5");

    handler.let_through(1);
    let handled = held.await.unwrap();
    assert_eq!(handled.status(), StatusCode::OK);
    assert_eq!(handled.text().await.unwrap(), format!("handled {event_id}"));
    assert_eq!(handler.calls(), 1);

    for url in [first_url, second_url] {
        let redelivery = post_jwt(&url, token.clone()).await;
        assert_eq!(redelivery.status(), StatusCode::OK);
        assert_eq!(json_body(redelivery).await["status"], "duplicate");
    }
    assert_eq!(handler.calls(), 1);
}

async fn post_jwt_owned(url: String, token: String) -> reqwest::Response {
    post_jwt(&url, token).await
}

/// A `redis-server` child process on a loopback port, killed on drop.
struct RedisServer {
    child: Child,
}

impl RedisServer {
    /// Starts `redis-server` on `port` without persistence and waits until it
    /// replies to `PING`. Returns `None` when the binary is not installed.
    fn start(port: u16) -> Option<Self> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => panic!("starting redis-server failed: {error}"),
        };

        let server = Self { child };
        server.wait_for_ping(port);
        Some(server)
    }

    fn wait_for_ping(&self, port: u16) {
        const ATTEMPTS: usize = 200;

        for _ in 0..ATTEMPTS {
            if ping(port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server on port {port} did not answer PING after {ATTEMPTS} attempts");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `PING` in the Redis protocol and returns whether `+PONG` came back.
fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let mut reply = [0_u8; 7];
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn redis_outage_marks_nothing_completed() {
    let port = free_port();
    let Some(server) = RedisServer::start(port) else {
        assert!(
            !redis_required(),
            "REQUIRE_REDIS=1 but redis-server is not installed"
        );
        println!("skipped: redis-server is not installed (apt-get install redis-server)");
        return;
    };
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    let redis_url = format!("redis://127.0.0.1:{port}/0");
    let url = serve_instance(&issuer, &handler, &redis_url, "outage:").await;

    let before = post_jwt(&url, issuer.sign(&samples::user_created().to_json())).await;
    assert_eq!(before.status(), StatusCode::OK);
    assert_eq!(handler.calls(), 1);

    drop(server);
    let sample = samples::user_created();
    let event_id = sample.to_json()["event_id"].as_str().unwrap().to_owned();
    let token = issuer.sign(&sample.to_json());
    let during = post_jwt(&url, token.clone()).await;
    assert_eq!(during.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(during.headers()["retry-after"], "30");
    assert_eq!(json_body(during).await["error"], "store_unavailable");
    assert_eq!(handler.calls(), 1);

    // Redeliver as Kinde would until the store's connection is back: only
    // 503s are acceptable before the event is handled.
    let _server = RedisServer::start(port).expect("redis-server started once already");
    let mut redelivery = post_jwt(&url, token.clone()).await;
    for _ in 0..10 {
        if redelivery.status() != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        redelivery = post_jwt(&url, token.clone()).await;
    }
    assert_eq!(redelivery.status(), StatusCode::OK);
    assert_eq!(
        redelivery.text().await.unwrap(),
        format!("handled {event_id}")
    );
    assert_eq!(handler.calls(), 2);

    let duplicate = post_jwt(&url, token).await;
    assert_eq!(json_body(duplicate).await["status"], "duplicate");
    assert_eq!(handler.calls(), 2);
}
