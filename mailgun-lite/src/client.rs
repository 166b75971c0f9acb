//! The client and its send loop.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;

use crate::api_key::ApiKey;
use crate::builder::ClientBuilder;
use crate::encode::{EncodedMessage, encode};
use crate::error::Error;
use crate::message::Message;
use crate::response::{Sent, Target, read_response, transport_error};
use crate::retry::RetryPolicy;

/// A client for Mailgun's Messages API, bound to one sending domain.
///
/// Cloning is cheap: clones share the connection pool. Requests go to
/// `POST {base URL}/v3/{domain}/messages` as multipart/form-data with HTTP
/// Basic authentication (user `api`, password the API key). `Debug` shows
/// the domain and URL but never the key.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) http: reqwest::Client,
    pub(crate) api_key: ApiKey,
    pub(crate) domain: String,
    pub(crate) base_url: String,
    pub(crate) messages_url: Url,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
}

impl Client {
    /// Creates a client with the default settings: US region, 30 s timeout,
    /// 10 s connect timeout, [`RetryPolicy::default`].
    ///
    /// # Errors
    ///
    /// See [`ClientBuilder::build`].
    pub fn new(api_key: impl Into<String>, domain: impl Into<String>) -> Result<Self, Error> {
        Self::builder(api_key, domain).build()
    }

    /// Starts a [`ClientBuilder`] for the API key and sending domain.
    pub fn builder(api_key: impl Into<String>, domain: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(api_key, domain)
    }

    /// Creates a client from `MAILGUN_API_KEY`, `MAILGUN_DOMAIN`,
    /// `MAILGUN_REGION` and `MAILGUN_BASE_URL`, as described at
    /// [`ClientBuilder::from_env`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig), naming
    /// every variable that is missing or invalid.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// Returns the sending domain.
    pub fn domain(&self) -> &str {
        &self.inner.domain
    }

    /// Returns the URL messages are posted to, such as
    /// `https://api.mailgun.net/v3/mg.example.com/messages`.
    pub fn messages_url(&self) -> &str {
        self.inner.messages_url.as_str()
    }

    /// Validates `message` and sends it, retrying as the [`RetryPolicy`]
    /// allows. Each retry is logged at `warn` with the attempt number and
    /// status.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidMessage`](crate::ErrorKind::InvalidMessage) before
    /// any request when the message is invalid. Otherwise the error of the
    /// last attempt. See [`ErrorKind`](crate::ErrorKind) for each cause.
    pub async fn send(&self, message: &Message) -> Result<Sent, Error> {
        let encoded = encode(message)?;
        let retry = &self.inner.retry;
        let started = Instant::now();
        let mut attempt = 1;

        loop {
            let error = match self.send_once(&encoded).await {
                Ok(sent) => {
                    tracing::debug!(id = sent.id(), attempt, domain = %self.inner.domain, "Mailgun accepted the message");
                    return Ok(sent);
                }
                Err(error) => error,
            };
            let Some(wait) = retry.delay_before_retry(attempt, &error, started.elapsed()) else {
                return Err(error);
            };
            tracing::warn!(
                attempt,
                max_attempts = retry.attempts(),
                status = error.status().map(|status| status.as_u16()),
                kind = ?error.kind(),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                domain = %self.inner.domain,
                error = %error,
                "Mailgun send attempt failed; retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn send_once(&self, encoded: &EncodedMessage) -> Result<Sent, Error> {
        let inner = &self.inner;
        let target = Target {
            domain: &inner.domain,
            base_url: &inner.base_url,
            timeout: inner.timeout,
        };
        let response = inner
            .http
            .post(inner.messages_url.clone())
            .basic_auth("api", Some(inner.api_key.expose()))
            .timeout(inner.timeout)
            .multipart(encoded.to_form()?)
            .send()
            .await
            .map_err(|error| transport_error(error, &target))?;
        read_response(response, &target).await
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("api_key", &inner.api_key)
            .field("domain", &inner.domain)
            .field("messages_url", &inner.messages_url.as_str())
            .field("timeout", &inner.timeout)
            .field("retry", &inner.retry)
            .finish_non_exhaustive()
    }
}
