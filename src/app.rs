//! The parts every variant of the app shares, and the handle of a running app.

use std::net::SocketAddr;
use std::time::Duration;

use kinde_webhook::Verifier;
use kinde_webhook::idempotency::{Idempotency, MemoryStore};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Config, WelcomeSettings};
use crate::queue::{self, DEFAULT_DRAIN_TIMEOUT, DEFAULT_QUEUE_CAPACITY, DrainReport, EmailQueue};
use crate::welcome::Welcome;

/// Everything needed to start the app, whichever web framework serves it.
#[derive(Debug)]
pub struct AppSettings {
    /// Verifies the Kinde webhooks.
    pub verifier: Verifier,
    /// Sends the welcome emails.
    pub mailgun: mailgun_lite::Client,
    /// Shapes the welcome email and decides who gets one.
    pub welcome: WelcomeSettings,
    /// De-duplicates deliveries by `event_id`.
    pub idempotency: Idempotency,
    /// The queue's capacity in emails; past it, webhooks get 503. Default 1024.
    pub queue_capacity: usize,
    /// How long a shutdown waits for queued emails. Default 30 s.
    pub drain_timeout: Duration,
}

/// An error setting up the app from a valid configuration.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The verifier could not be built.
    #[error("KINDE_ISSUER_URL cannot be used: {0}")]
    Verifier(#[source] kinde_webhook::Error),
    /// The Redis idempotency store could not be set up.
    #[error("REDIS_URL cannot be used: {0}")]
    Redis(#[source] kinde_webhook::Error),
    /// The Mailgun client could not be built.
    #[error("the Mailgun settings cannot be used: {0}")]
    Mailgun(#[from] mailgun_lite::Error),
}

impl AppSettings {
    /// Builds the settings for production from a validated configuration:
    /// the Redis store when `REDIS_URL` is set, else the memory store.
    pub fn from_config(config: &Config) -> Result<Self, SetupError> {
        let verifier = Verifier::builder(config.issuer_url.as_str())
            .build()
            .map_err(SetupError::Verifier)?;

        let mut mailgun = mailgun_lite::Client::builder(
            config.mailgun_api_key.as_str(),
            config.mailgun_domain.as_str(),
        )
        .region(config.mailgun_region);
        if let Some(base_url) = &config.mailgun_base_url {
            mailgun = mailgun.base_url(base_url.as_str());
        }

        let idempotency = match &config.redis_url {
            Some(url) => {
                let store = kinde_webhook::idempotency::RedisStore::builder(url.as_str())
                    .build()
                    .map_err(SetupError::Redis)?;
                Idempotency::new(store)
            }
            None => Idempotency::new(MemoryStore::new()),
        };

        Ok(Self::new(
            verifier,
            mailgun.build()?,
            config.welcome.clone(),
            idempotency,
        ))
    }

    /// Creates settings with the default queue capacity and drain time.
    pub fn new(
        verifier: Verifier,
        mailgun: mailgun_lite::Client,
        welcome: WelcomeSettings,
        idempotency: Idempotency,
    ) -> Self {
        Self {
            verifier,
            mailgun,
            welcome,
            idempotency,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
        }
    }
}

/// The state the route handlers share.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) verifier: Verifier,
    pub(crate) welcome: Welcome,
}

impl AppState {
    /// Returns the small JSON body of `GET /healthz`.
    pub(crate) fn health(&self) -> serde_json::Value {
        let queue = self.welcome.queue();
        serde_json::json!({
            "status": "ok",
            "jwks": self.verifier.jwks_state().as_str(),
            "queue_depth": queue.depth(),
            "queue_capacity": queue.capacity(),
        })
    }
}

/// A running app: its address, and a way to stop it and drain the queue.
#[derive(Debug)]
pub struct RunningApp {
    pub(crate) address: SocketAddr,
    pub(crate) queue: EmailQueue,
    pub(crate) stop: oneshot::Sender<()>,
    pub(crate) task: JoinHandle<DrainReport>,
}

impl RunningApp {
    /// Returns the address the app listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns the webhook URL, `http://{address}/webhooks/kinde`.
    pub fn webhook_url(&self) -> String {
        format!("http://{}/webhooks/kinde", self.address)
    }

    /// Returns the queue, to read its depth.
    pub fn queue(&self) -> &EmailQueue {
        &self.queue
    }

    /// Stops accepting requests, drains the email queue for at most the
    /// configured time, and reports what was left unsent.
    pub async fn shutdown(self) -> DrainReport {
        // The server may have stopped on its own already, which the join below reports.
        let _ = self.stop.send(());
        match self.task.await {
            Ok(report) => report,
            Err(error) => {
                tracing::error!(error = %error, "the server task ended abnormally");
                DrainReport::default()
            }
        }
    }

    /// Waits for SIGINT or SIGTERM, then shuts down.
    pub async fn run_until_signal(self) -> DrainReport {
        wait_for_signal().await;
        tracing::info!("shutdown signal received; no longer accepting webhooks");
        self.shutdown().await
    }
}

/// Starts the email worker and returns the state for the handlers.
pub(crate) fn start_parts(settings: &AppSettings) -> (AppState, queue::EmailWorker) {
    let (queue, worker) = queue::start(settings.mailgun.clone(), settings.queue_capacity);
    let welcome = Welcome::new(settings.welcome.clone(), queue);
    (
        AppState {
            verifier: settings.verifier.clone(),
            welcome,
        },
        worker,
    )
}

async fn wait_for_signal() {
    let interrupt = tokio::signal::ctrl_c();

    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for SIGTERM; only SIGINT stops the app");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }

    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
