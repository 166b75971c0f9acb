//! The welcome app on axum, with `KindeWebhookLayer` and the `KindeEvent` extractor.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kinde_webhook_tower::{KindeEvent, KindeWebhookLayer};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::app::{AppSettings, AppState, RunningApp, start_parts};
use crate::welcome::Outcome;

/// Builds the router: `POST /webhooks/kinde` and `GET /healthz`.
pub(crate) fn router(state: AppState, settings: &AppSettings) -> Router {
    let layer = KindeWebhookLayer::new(settings.verifier.clone())
        .with_idempotency(settings.idempotency.clone());

    Router::new()
        .route("/webhooks/kinde", post(on_webhook).layer(layer))
        .route("/healthz", get(health))
        .with_state(state)
}

/// Serves the app on `listener` until [`RunningApp::shutdown`] is called.
pub async fn start(settings: AppSettings, listener: TcpListener) -> std::io::Result<RunningApp> {
    let address = listener.local_addr()?;
    let (state, worker) = start_parts(&settings);
    let queue = state.welcome.queue().clone();
    let app = router(state, &settings);
    let (stop, stopped) = oneshot::channel::<()>();
    let drain_timeout = settings.drain_timeout;

    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        if let Err(error) = server.await {
            tracing::error!(error = %error, "the HTTP server failed");
        }
        worker.drain(drain_timeout).await
    });

    tracing::info!(%address, "listening for Kinde webhooks on POST /webhooks/kinde (axum)");
    Ok(RunningApp {
        address,
        queue,
        stop,
        task,
    })
}

async fn on_webhook(State(state): State<AppState>, KindeEvent(event): KindeEvent) -> Response {
    match state.welcome.handle(&event) {
        Outcome::Queued => Json(serde_json::json!({ "status": "queued" })).into_response(),
        Outcome::Ignored(reason) => {
            Json(serde_json::json!({ "status": "ignored", "reason": reason })).into_response()
        }
        Outcome::Unavailable => {
            let body = serde_json::json!({
                "error": "queue_full",
                "reason": "the welcome email queue is full; Kinde will redeliver later",
            });
            let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            response
        }
    }
}

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.health())
}
