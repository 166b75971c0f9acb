//! [`KindeWebhookConfig`]: the verifier and the rejection response, registered as app data.

use std::sync::Arc;

use actix_web::{HttpRequest, web};
use kinde_webhook::Verifier;

use crate::error::KindeWebhookError;

/// A function that turns a rejection into the error actix-web responds with.
type ErrorHandler = dyn Fn(KindeWebhookError, &HttpRequest) -> actix_web::Error + Send + Sync;

/// The settings that the [`KindeEvent`](crate::KindeEvent) extractor and the
/// [`KindeIdempotency`](crate::KindeIdempotency) middleware look up in the app data.
///
/// Register it with `App::app_data`, `Scope::app_data` or
/// `Resource::app_data`, either as is or wrapped in `web::Data`. Build the
/// [`Verifier`] once, outside the `HttpServer::new` closure, and register a
/// clone in each worker's app: clones share one JWKS cache, so the JWKS is
/// fetched once per app instead of once per worker thread.
///
/// ```
/// use actix_web::{App, web};
/// use kinde_webhook::Verifier;
/// use kinde_webhook_actix::KindeWebhookConfig;
///
/// # fn main() -> Result<(), kinde_webhook::Error> {
/// let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
///
/// // Inside `HttpServer::new(move || ...)`, once per worker:
/// let app = App::new().app_data(KindeWebhookConfig::new(verifier.clone()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KindeWebhookConfig {
    verifier: Verifier,
    error_handler: Option<Arc<ErrorHandler>>,
}

impl KindeWebhookConfig {
    /// Creates the configuration for webhooks verified by `verifier`. Its
    /// token size limit ([`Verifier::max_token_size`], 256 KiB by default)
    /// also limits the request body.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            verifier,
            error_handler: None,
        }
    }

    /// Sets a function that turns each rejection into the error actix-web
    /// responds with, in place of the default JSON response of
    /// [`KindeWebhookError`].
    ///
    /// It runs for every rejection of the extractor and the middleware except
    /// a missing configuration. The rejection is logged before it runs.
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// use actix_web::error::InternalError;
    /// use kinde_webhook_actix::KindeWebhookConfig;
    ///
    /// # fn configure(verifier: kinde_webhook::Verifier) -> KindeWebhookConfig {
    /// KindeWebhookConfig::new(verifier).error_handler(|rejection, _request| {
    ///     let response = HttpResponse::build(rejection.status())
    ///         .json(serde_json::json!({ "message": rejection.message() }));
    ///     InternalError::from_response(rejection, response).into()
    /// })
    /// # }
    /// ```
    pub fn error_handler<F>(mut self, handler: F) -> Self
    where
        F: Fn(KindeWebhookError, &HttpRequest) -> actix_web::Error + Send + Sync + 'static,
    {
        self.error_handler = Some(Arc::new(handler));
        self
    }

    /// Returns the verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Finds the configuration in the request's app data, registered either
    /// as is or in `web::Data`.
    pub(crate) fn from_app_data(request: &HttpRequest) -> Option<&Self> {
        request.app_data::<Self>().or_else(|| {
            request
                .app_data::<web::Data<Self>>()
                .map(|data| data.get_ref())
        })
    }

    /// Turns a rejection into the error to respond with, through the custom
    /// error handler when one is set.
    pub(crate) fn reject(
        &self,
        rejection: KindeWebhookError,
        request: &HttpRequest,
    ) -> actix_web::Error {
        match &self.error_handler {
            Some(handler) => handler(rejection, request),
            None => rejection.into(),
        }
    }
}

impl std::fmt::Debug for KindeWebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindeWebhookConfig")
            .field("verifier", &self.verifier)
            .field("error_handler", &self.error_handler.is_some())
            .finish()
    }
}
