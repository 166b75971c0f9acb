//! The README's "Adding it to an existing app" snippets, kept compiling and
//! building their apps (nothing is fetched until a webhook arrives).

#[test]
fn axum_snippet_builds() -> Result<(), Box<dyn std::error::Error>> {
    use axum::{Router, http::StatusCode, routing::post};
    use kinde_webhook_tower::kinde_webhook::idempotency::MemoryStore;
    use kinde_webhook_tower::kinde_webhook::{EventData, Verifier};
    use kinde_webhook_tower::{KindeEvent, KindeWebhookLayer};

    let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
    let layer = KindeWebhookLayer::new(verifier).idempotency(MemoryStore::new());
    let _app: Router = Router::new().route("/webhooks/kinde", post(on_webhook).layer(layer));

    async fn on_webhook(KindeEvent(event): KindeEvent) -> StatusCode {
        if let EventData::UserCreated(data) = &event.data {
            println!("new user {:?}", data.user.email());
        }
        StatusCode::OK
    }
    Ok(())
}

#[test]
fn actix_snippet_builds() -> Result<(), Box<dyn std::error::Error>> {
    use actix_web::{App, HttpResponse, web};
    use kinde_webhook_actix::kinde_webhook::Verifier;
    use kinde_webhook_actix::kinde_webhook::idempotency::{Idempotency, MemoryStore};
    use kinde_webhook_actix::{KindeEvent, KindeIdempotency, KindeWebhookConfig};

    let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
    let idempotency = Idempotency::new(MemoryStore::new());
    let _app = App::new()
        .app_data(KindeWebhookConfig::new(verifier.clone()))
        .service(
            web::resource("/webhooks/kinde")
                .wrap(KindeIdempotency::new(idempotency.clone()))
                .route(web::post().to(on_webhook)),
        );

    async fn on_webhook(KindeEvent(_event): KindeEvent) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    Ok(())
}
