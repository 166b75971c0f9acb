//! The welcome app on actix-web, with the `KindeEvent` extractor and the
//! `KindeIdempotency` middleware.

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use kinde_webhook_actix::{KindeEvent, KindeIdempotency, KindeWebhookConfig};
use tokio::sync::oneshot;

use crate::app::{AppSettings, AppState, RunningApp, start_parts};
use crate::welcome::Outcome;

/// The number of actix-web worker threads. They share one verifier, so one
/// JWKS cache.
const WORKERS: usize = 2;

/// Serves the app on `listener` until [`RunningApp::shutdown`] is called.
pub async fn start(
    settings: AppSettings,
    listener: std::net::TcpListener,
) -> std::io::Result<RunningApp> {
    let address = listener.local_addr()?;
    let (state, worker) = start_parts(&settings);
    let queue = state.welcome.queue().clone();
    let config = KindeWebhookConfig::new(settings.verifier.clone());
    let idempotency = settings.idempotency.clone();

    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .app_data(config.clone())
            .service(
                web::resource("/webhooks/kinde")
                    .wrap(KindeIdempotency::new(idempotency.clone()))
                    .route(web::post().to(on_webhook)),
            )
            .route("/healthz", web::get().to(health))
    })
    .workers(WORKERS)
    .disable_signals()
    .listen(listener)?
    .run();

    let handle = server.handle();
    let (stop, stopped) = oneshot::channel::<()>();
    let drain_timeout = settings.drain_timeout;
    let task = tokio::spawn(async move {
        let server = tokio::spawn(server);
        let _ = stopped.await;
        handle.stop(true).await;
        if let Ok(Err(error)) = server.await {
            tracing::error!(error = %error, "the HTTP server failed");
        }
        worker.drain(drain_timeout).await
    });

    tracing::info!(%address, "listening for Kinde webhooks on POST /webhooks/kinde (actix-web)");
    Ok(RunningApp {
        address,
        queue,
        stop,
        task,
    })
}

async fn on_webhook(state: web::Data<AppState>, KindeEvent(event): KindeEvent) -> HttpResponse {
    match state.welcome.handle(&event) {
        Outcome::Queued => HttpResponse::Ok().json(serde_json::json!({ "status": "queued" })),
        Outcome::Ignored(reason) => {
            HttpResponse::Ok().json(serde_json::json!({ "status": "ignored", "reason": reason }))
        }
        Outcome::Unavailable => HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
            .insert_header(("Retry-After", "30"))
            .json(serde_json::json!({
                "error": "queue_full",
                "reason": "the welcome email queue is full; Kinde will redeliver later",
            })),
    }
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.health())
}
