//! [`KindeIdempotency`]: middleware that runs the handler once per Kinde event.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::Method;
use actix_web::{HttpMessage as _, HttpResponse};
use futures_util::future::LocalBoxFuture;
use kinde_webhook::idempotency::{Begin, ClaimGuard, Idempotency};

use crate::config::KindeWebhookConfig;
use crate::error::KindeWebhookError;
use crate::verify::{VerifiedEvent, log_missing_configuration, log_rejection, verify_request};

/// Middleware that de-duplicates Kinde deliveries on their signed `event_id`,
/// so the handler runs once per event although Kinde delivers at least once.
///
/// For each `POST` it reads and verifies the body the same way as the
/// [`KindeEvent`](crate::KindeEvent) extractor, with the
/// [`KindeWebhookConfig`] in the app data, then claims the `event_id` in the
/// idempotency store:
///
/// | claim | response |
/// |---|---|
/// | new event | the handler runs; a 2xx response completes the claim, any other status or an error releases it so that a redelivery runs the handler again |
/// | already completed | `200 OK` with `{"status": "duplicate", "event_id": ...}`, without calling the handler |
/// | in progress in another delivery | `409 Conflict` with `Retry-After: 5` |
/// | store unreachable | `503 Service Unavailable` with `Retry-After: 30`, without calling the handler |
///
/// A rejected token gets the extractor's response, and the configured error
/// handler also replaces the 409 and 503 responses. The verified event is
/// stored in the request extensions, where `KindeEvent` takes it without
/// verifying again, and the body stays readable by other extractors. A claim
/// abandoned by a panic or a dropped connection is released in the background.
/// Other methods pass through untouched.
///
/// The claim's lease (60 s by default) is renewed while the handler runs. It
/// only bounds how long an instance that stopped (or lost the store for longer
/// than the lease) blocks redeliveries.
///
/// Wrap only the webhook resource or scope, not the whole `App`, because the
/// middleware verifies every `POST` request it receives as a Kinde webhook. Build the
/// [`Idempotency`] once, outside the `HttpServer::new` closure, so that all
/// workers share one store:
///
/// ```no_run
/// use actix_web::{App, HttpResponse, HttpServer, web};
/// use kinde_webhook::Verifier;
/// use kinde_webhook::idempotency::{Idempotency, MemoryStore};
/// use kinde_webhook_actix::{KindeEvent, KindeIdempotency, KindeWebhookConfig};
///
/// async fn on_webhook(KindeEvent(event): KindeEvent) -> HttpResponse {
///     println!("handling {} once", event.event_id);
///     HttpResponse::Ok().finish()
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let verifier = Verifier::builder("https://yourbiz.kinde.com")
///         .build()
///         .map_err(std::io::Error::other)?;
///     let idempotency = Idempotency::new(MemoryStore::new());
///
///     HttpServer::new(move || {
///         App::new()
///             .app_data(KindeWebhookConfig::new(verifier.clone()))
///             .service(
///                 web::resource("/webhooks/kinde")
///                     .wrap(KindeIdempotency::new(idempotency.clone()))
///                     .route(web::post().to(on_webhook)),
///             )
///     })
///     .bind(("127.0.0.1", 3000))?
///     .run()
///     .await
/// }
/// ```
#[derive(Debug, Clone)]
pub struct KindeIdempotency {
    idempotency: Idempotency,
}

impl KindeIdempotency {
    /// Creates the middleware over an idempotency store, such as
    /// `Idempotency::new(MemoryStore::new())` for one instance or a
    /// `RedisStore` (feature `redis`) for several instances.
    pub fn new(idempotency: Idempotency) -> Self {
        Self { idempotency }
    }
}

impl<S, B> Transform<S, ServiceRequest> for KindeIdempotency
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = KindeIdempotencyMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(KindeIdempotencyMiddleware {
            service: Rc::new(service),
            idempotency: self.idempotency.clone(),
        }))
    }
}

/// The service that [`KindeIdempotency`] wraps around a resource or scope.
#[derive(Debug)]
pub struct KindeIdempotencyMiddleware<S> {
    service: Rc<S>,
    idempotency: Idempotency,
}

impl<S, B> Service<ServiceRequest> for KindeIdempotencyMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        if request.method() != Method::POST {
            let response = self.service.call(request);
            return Box::pin(
                async move { response.await.map(ServiceResponse::map_into_left_body) },
            );
        }

        let service = Rc::clone(&self.service);
        let idempotency = self.idempotency.clone();
        Box::pin(handle_delivery(request, service, idempotency))
    }
}

/// Verifies one delivery, claims its `event_id` and calls the handler when the claim is new.
async fn handle_delivery<S, B>(
    mut request: ServiceRequest,
    service: Rc<S>,
    idempotency: Idempotency,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let Some(config) = KindeWebhookConfig::from_app_data(request.request()).cloned() else {
        let rejection = KindeWebhookError::missing_configuration();
        log_missing_configuration(request.request(), &rejection);
        return Ok(request.error_response(rejection).map_into_right_body());
    };

    let payload = request.take_payload();
    let (event, body) = match verify_request(request.request(), payload, config.verifier()).await {
        Ok(verified) => verified,
        Err(rejection) => return Ok(reject(request, &config, rejection)),
    };

    let claim = match idempotency.begin(&event).await {
        Ok(Begin::Proceed(claim)) => claim,
        Ok(Begin::Completed) => {
            tracing::debug!(
                event_id = %event.event_id,
                event_type = %event.event_type,
                "answered a duplicate of a handled Kinde event without calling the handler"
            );
            let body = serde_json::json!({ "status": "duplicate", "event_id": event.event_id });
            let response = request.into_response(HttpResponse::Ok().json(body));
            return Ok(response.map_into_right_body());
        }
        Ok(Begin::InProgress) => {
            let rejection = KindeWebhookError::in_progress(&event.event_id);
            log_rejection(&rejection);
            return Ok(reject(request, &config, rejection));
        }
        Err(error) => {
            tracing::warn!(
                event_id = %event.event_id,
                error = %error,
                "the idempotency store is unavailable, so the Kinde event is rejected with 503"
            );
            return Ok(reject(request, &config, error.into()));
        }
    };

    request.set_payload(Payload::from(body));
    request.extensions_mut().insert(VerifiedEvent(event));
    let result = service.call(request).await;

    settle(claim, &result).await;
    result.map(ServiceResponse::map_into_left_body)
}

/// Completes the claim after a 2xx response and releases it otherwise.
async fn settle<B>(claim: ClaimGuard, result: &Result<ServiceResponse<B>, actix_web::Error>) {
    let event_id = claim.event_id().to_owned();
    let status = match result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };

    if status.is_success() {
        if let Err(error) = claim.complete().await {
            tracing::warn!(
                event_id = %event_id,
                error = %error,
                "marking the Kinde event as handled failed, so a redelivery after the lease runs the handler again"
            );
        }
        return;
    }

    tracing::debug!(
        event_id = %event_id,
        status = status.as_u16(),
        "the handler failed, so the claim is released for a redelivery"
    );
    if let Err(error) = claim.release().await {
        tracing::warn!(
            event_id = %event_id,
            error = %error,
            "releasing the claim of a failed Kinde event failed, so redeliveries get 409 until its lease expires"
        );
    }
}

/// Builds the rejection response, through the custom error handler when one is set.
fn reject<B>(
    request: ServiceRequest,
    config: &KindeWebhookConfig,
    rejection: KindeWebhookError,
) -> ServiceResponse<EitherBody<B>> {
    let error = config.reject(rejection, request.request());
    request.error_response(error).map_into_right_body()
}
