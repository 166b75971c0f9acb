//! The welcome app: a welcome email, through Mailgun, for every user created in Kinde.
//!
//! `POST /webhooks/kinde` verifies Kinde's signed webhook, de-duplicates it by
//! `event_id`, and for a `user.created` event whose source is allowed and whose
//! user has an email address, queues a welcome email and responds 200 at once.
//! A worker sends the queue through Mailgun with retries. `GET /healthz`
//! reports the JWKS state and the queue depth.
//!
//! The same app runs on axum ([`axum_app`]) and on actix-web ([`actix_app`]);
//! `examples/welcome.rs` and `examples/welcome_actix.rs` are thin mains over
//! [`main_with`]. Starting it from a test:
//!
//! ```no_run
//! # async fn example(settings: kinde_welcome::AppSettings) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let app = kinde_welcome::axum_app::start(settings, listener).await?;
//! println!("POST {}", app.webhook_url());
//! let report = app.shutdown().await;
//! assert!(report.unsent.is_empty());
//! # Ok(())
//! # }
//! ```

pub mod actix_app;
mod app;
pub mod axum_app;
pub mod config;
pub mod demo;
pub mod email;
pub mod queue;
pub mod welcome;

pub use app::{AppSettings, RunningApp, SetupError};
pub use config::{Config, ConfigError, Mode, WelcomeSettings};

/// The web framework that serves the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    /// axum, with `KindeWebhookLayer`.
    Axum,
    /// actix-web, with the `KindeEvent` extractor and the idempotency middleware.
    Actix,
}

/// Runs the app as configured by the environment, until SIGINT or SIGTERM:
/// the demo when no production variable is set, production otherwise.
/// Returns an error message for the process to print, naming each bad variable.
pub async fn main_with(framework: Framework) -> Result<(), String> {
    init_tracing();

    match Mode::from_env().map_err(|error| error.to_string())? {
        Mode::Demo { bind_addr } => {
            if std::env::var_os("REDIS_URL").is_some() {
                tracing::warn!(
                    "REDIS_URL is set but ignored: no KINDE_*, MAILGUN_* or WELCOME_* variable is set, so the local demo runs"
                );
            }
            demo::run(bind_addr, framework)
                .await
                .map_err(|error| error.to_string())
        }
        Mode::Production(config) => run_production(&config, framework).await,
    }
}

async fn run_production(config: &Config, framework: Framework) -> Result<(), String> {
    tracing::info!(?config, "starting");
    let settings = AppSettings::from_config(config).map_err(|error| error.to_string())?;
    if let Some(url) = &config.redis_url
        && let Ok(store) = kinde_webhook::idempotency::RedisStore::builder(url.as_str()).build()
        && let Err(error) = store.ping().await
    {
        tracing::warn!(error = %error, "Redis does not respond at start; webhooks get 503 until it does");
    }
    // A failed prefetch is logged by the verifier; the first webhook fetches again.
    let _ = settings.verifier.prefetch().await;

    let app = start(framework, settings, config.bind_addr)
        .await
        .map_err(|error| {
            format!(
                "cannot listen on BIND_ADDR {}: {error}; set BIND_ADDR to a free address",
                config.bind_addr
            )
        })?;
    let report = app.run_until_signal().await;
    match report.unsent.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "{} welcome emails were left unsent at shutdown",
            report.unsent.len()
        )),
    }
}

/// Binds `address` and starts the app on the chosen framework.
pub async fn start(
    framework: Framework,
    settings: AppSettings,
    address: std::net::SocketAddr,
) -> std::io::Result<RunningApp> {
    match framework {
        Framework::Axum => {
            axum_app::start(settings, tokio::net::TcpListener::bind(address).await?).await
        }
        Framework::Actix => actix_app::start(settings, std::net::TcpListener::bind(address)?).await,
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second initialisation (as in tests) keeps the first subscriber.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours)
        .try_init();
}
