//! A Mailgun Messages API double on a loopback port (feature `testing`).
//!
//! [`MockMailgun`] is a real HTTP server: it checks HTTP Basic
//! authentication, parses the multipart body into a [`RecordedMessage`],
//! and responds the way Mailgun does. It counts requests and TCP connections,
//! and can be scripted to fail or delay the next requests.
//!
//! ```
//! use std::time::Duration;
//! use mailgun_lite::{Message, MockMailgun, StatusCode};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mock = MockMailgun::start().await;
//! let client = mock.client_builder().build().unwrap();
//!
//! mock.fail_next(1, StatusCode::SERVICE_UNAVAILABLE);
//! let message = Message::new()
//!     .from("Acme <welcome@mg.example.test>")
//!     .to("jane@example.com")
//!     .to("john@example.com")
//!     .subject("Welcome")
//!     .text("Hello!");
//! client.send(&message).await.unwrap();
//!
//! let received = mock.wait_for_messages(1, Duration::from_secs(5)).await.unwrap();
//! assert_eq!(received[0].field("to"), ["jane@example.com", "john@example.com"]);
//! assert_eq!(received[0].first("subject"), Some("Welcome"));
//! assert_eq!(mock.request_count(), 2); // the 503, then the accepted retry
//! # }
//! ```

mod recorded;
mod reply;
mod server;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use http::StatusCode;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use recorded::{RecordedFile, RecordedMessage};
pub use reply::MockReply;

use crate::builder::ClientBuilder;
use server::{State, accept_loop, lock};

/// The API key a [`MockMailgun`] expects unless another is set.
pub const MOCK_API_KEY: &str = "key-mock-0000000000000000";

/// The sending domain a [`MockMailgun`] serves unless another is set.
pub const MOCK_DOMAIN: &str = "mg.example.test";

/// A Mailgun Messages API double, listening on `127.0.0.1` on a free port.
///
/// It serves `POST /v3/{domain}/messages` and responds like Mailgun: 200 with
/// a JSON id for an accepted message, 401 `Forbidden` for a wrong key, 404
/// for another domain, 400 with a JSON `message` when `from`, `to` or a
/// body is missing, and 200 `Mailgun Magnificent API` on any other path.
/// The server shuts down when the value is dropped.
pub struct MockMailgun {
    state: Arc<State>,
    address: SocketAddr,
    server: JoinHandle<()>,
}

/// A builder for [`MockMailgun`] with another API key or domain.
#[derive(Debug, Clone)]
pub struct MockMailgunBuilder {
    api_key: String,
    domain: String,
}

impl MockMailgunBuilder {
    /// Sets the API key the double expects (default [`MOCK_API_KEY`]).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = api_key.into();
        self
    }

    /// Sets the domain the double serves (default [`MOCK_DOMAIN`]).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = domain.into();
        self
    }

    /// Binds a free loopback port and starts serving on the current tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// The I/O error of binding the port.
    pub async fn start(self) -> io::Result<MockMailgun> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(State::new(self.api_key, self.domain));
        let server = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        Ok(MockMailgun {
            state,
            address,
            server,
        })
    }
}

impl MockMailgun {
    /// Starts a double with [`MOCK_API_KEY`] and [`MOCK_DOMAIN`].
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound; use [`builder`](Self::builder) to
    /// handle that error.
    pub async fn start() -> Self {
        Self::builder()
            .start()
            .await
            .expect("MockMailgun could not bind a port on 127.0.0.1")
    }

    /// Starts a [`MockMailgunBuilder`].
    pub fn builder() -> MockMailgunBuilder {
        MockMailgunBuilder {
            api_key: MOCK_API_KEY.to_owned(),
            domain: MOCK_DOMAIN.to_owned(),
        }
    }

    /// Returns the base URL, such as `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Returns the socket address the double listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns the API key the double expects.
    pub fn api_key(&self) -> &str {
        &self.state.api_key
    }

    /// Returns the domain the double serves.
    pub fn domain(&self) -> &str {
        &self.state.domain
    }

    /// Returns a client builder aimed at this double, with its API key,
    /// domain and base URL.
    pub fn client_builder(&self) -> ClientBuilder {
        ClientBuilder::new(self.api_key(), self.domain()).base_url(self.base_url())
    }

    /// Returns the accepted messages, in the order they were accepted.
    pub fn messages(&self) -> Vec<RecordedMessage> {
        lock(&self.state.messages).clone()
    }

    /// Returns the number of HTTP requests received, on any path and
    /// whatever the reply.
    pub fn request_count(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Returns the number of TCP connections accepted.
    pub fn connection_count(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Fails the next `count` requests with `status` and Mailgun's body for
    /// it (see [`MockReply::status`]), whatever they contain.
    pub fn fail_next(&self, count: usize, status: StatusCode) {
        self.reply_next(count, MockReply::status(status));
    }

    /// Replies to the next `count` requests with `reply`. Scripted replies
    /// queue up behind earlier ones and are used in order.
    pub fn reply_next(&self, count: usize, reply: MockReply) {
        let mut script = lock(&self.state.script);
        script.extend(std::iter::repeat_n(reply, count));
    }

    /// Waits until at least `count` messages are recorded and returns all of
    /// them, or returns `None` when `timeout` passes first. It wakes on each
    /// recorded message instead of polling.
    pub async fn wait_for_messages(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Option<Vec<RecordedMessage>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mut recorded = pin!(self.state.message_recorded.notified());
            // Register before checking, so a message recorded in between
            // still wakes this waiter.
            recorded.as_mut().enable();
            {
                let messages = lock(&self.state.messages);
                if messages.len() >= count {
                    return Some(messages.clone());
                }
            }
            if tokio::time::timeout_at(deadline, recorded).await.is_err() {
                return None;
            }
        }
    }
}

impl Drop for MockMailgun {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl fmt::Debug for MockMailgun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockMailgun")
            .field("base_url", &self.base_url())
            .field("domain", &self.state.domain)
            .field("api_key", &"[redacted]")
            .field("request_count", &self.request_count())
            .field("connection_count", &self.connection_count())
            .finish()
    }
}
