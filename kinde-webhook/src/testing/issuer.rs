//! [`TestIssuer`]: a JWKS server on a loopback port that also signs webhooks.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use super::keys::{TestKey, jwks};
use crate::{Verifier, VerifierBuilder};

/// The response of the test issuer's JWKS endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksResponse {
    /// `200` with the JWKS of the current keys (the default).
    Keys,
    /// This status with a short plain-text body.
    Status(u16),
    /// `200` with this body, for malformed-JWKS tests.
    Body(String),
    /// Accepts the request and never responds, for timeout tests.
    Hang,
}

/// A Kinde stand-in for tests: serves a JWKS at `/.well-known/jwks.json` and
/// `/.well-known/jwks` on an ephemeral `127.0.0.1` port, and signs webhook
/// payloads with the keys it publishes.
///
/// Switches change what the JWKS endpoint does (rotation, failure, delay,
/// `Cache-Control`), and [`TestIssuer::fetch_count`] counts JWKS requests.
/// The server stops when the issuer is dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use kinde_webhook::testing::{TestIssuer, samples};
///
/// let issuer = TestIssuer::start().await;
/// let verifier = issuer.verifier();
///
/// let token = issuer.sign(&samples::user_created().to_json());
/// let event = verifier.verify(token.as_bytes()).await.unwrap();
/// assert_eq!(event.event_type, "user.created");
/// assert_eq!(issuer.fetch_count(), 1);
/// # }
/// ```
pub struct TestIssuer {
    address: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
}

struct State {
    keys: Mutex<Vec<TestKey>>,
    response: Mutex<JwksResponse>,
    delay: Mutex<Duration>,
    cache_control: Mutex<Option<String>>,
    fetches: AtomicUsize,
}

impl TestIssuer {
    /// Starts an issuer that publishes [`TestKey::primary`].
    pub async fn start() -> Self {
        Self::start_with_keys(vec![TestKey::primary()]).await
    }

    /// Starts an issuer that publishes `keys`; the first one signs.
    pub async fn start_with_keys(keys: Vec<TestKey>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a loopback port succeeds");
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");

        let state = Arc::new(State {
            keys: Mutex::new(keys),
            response: Mutex::new(JwksResponse::Keys),
            delay: Mutex::new(Duration::ZERO),
            cache_control: Mutex::new(None),
            fetches: AtomicUsize::new(0),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&state)));
        Self {
            address,
            state,
            server,
        }
    }

    /// Returns the issuer URL to configure a verifier with, such as `http://127.0.0.1:41234`.
    pub fn issuer_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Returns the URL of the JWKS.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer_url())
    }

    /// Starts a verifier builder pointed at this issuer.
    pub fn verifier_builder(&self) -> VerifierBuilder {
        Verifier::builder(self.issuer_url())
    }

    /// Builds a verifier with default settings pointed at this issuer.
    pub fn verifier(&self) -> Verifier {
        self.verifier_builder()
            .build()
            .expect("a loopback issuer URL is valid")
    }

    /// Returns the key that signs: the first key published.
    pub fn signing_key(&self) -> TestKey {
        let keys = lock(&self.state.keys);
        keys.first().cloned().unwrap_or_else(TestKey::primary)
    }

    /// Signs a payload with the signing key, RS256, the way Kinde does.
    pub fn sign(&self, payload: &impl Serialize) -> String {
        self.signing_key().sign(payload)
    }

    /// Replaces the published keys, as Kinde does when it rotates. The first
    /// key signs from now on.
    pub fn set_keys(&self, keys: Vec<TestKey>) {
        *lock(&self.state.keys) = keys;
    }

    /// Sets the response of the JWKS endpoint.
    pub fn set_response(&self, response: JwksResponse) {
        *lock(&self.state.response) = response;
    }

    /// Delays every JWKS answer by `delay`, so concurrent verifications
    /// certainly overlap one fetch.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.state.delay) = delay;
    }

    /// Sets the `Cache-Control` header of JWKS answers; `None` sends none.
    pub fn set_cache_control(&self, value: Option<&str>) {
        *lock(&self.state.cache_control) = value.map(str::to_owned);
    }

    /// Returns how many JWKS requests arrived, whatever was answered.
    pub fn fetch_count(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestIssuer")
            .field("address", &self.address)
            .field("fetch_count", &self.fetch_count())
            .finish_non_exhaustive()
    }
}

/// Accepts connections until aborted. Connection tasks live in a `JoinSet`,
/// so aborting the server also closes kept-alive connections.
async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = Arc::clone(&state);
        connections.spawn(async move {
            let service = service_fn(move |request| answer(Arc::clone(&state), request));
            // A client hanging up mid-request is routine in tests.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn answer(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path();
    if path != "/.well-known/jwks.json" && path != "/.well-known/jwks" {
        return Ok(plain(StatusCode::NOT_FOUND, "not found"));
    }
    state.fetches.fetch_add(1, Ordering::SeqCst);

    let delay = *lock(&state.delay);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let response = lock(&state.response).clone();
    let response = match response {
        JwksResponse::Keys => {
            let document = jwks(&lock(&state.keys)).to_string();
            let mut response = Response::new(Full::new(Bytes::from(document)));
            let headers = response.headers_mut();
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            if let Some(value) = lock(&state.cache_control).as_deref() {
                let value = http::HeaderValue::from_str(value)
                    .expect("the test Cache-Control value is a valid header");
                headers.insert(http::header::CACHE_CONTROL, value);
            }
            response
        }
        JwksResponse::Status(code) => {
            let status = StatusCode::from_u16(code).expect("the test status code is valid");
            plain(status, "test issuer failure")
        }
        JwksResponse::Body(body) => Response::new(Full::new(Bytes::from(body))),
        JwksResponse::Hang => std::future::pending().await,
    };
    Ok(response)
}

fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
