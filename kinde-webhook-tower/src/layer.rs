//! [`KindeWebhookLayer`]: applies [`KindeWebhook`] to a service.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body::Body;
use kinde_webhook::{Error, Verifier};
use tower::Layer;

use crate::body::BoxError;
use crate::rejection::{self, RejectionHook};
use crate::service::KindeWebhook;

/// A [`Layer`] that wraps services in [`KindeWebhook`], so that only
/// verified Kinde webhooks reach them.
///
/// Cheap to clone: clones share one [`Verifier`], and so one JWKS cache.
///
/// It works in any tower stack. The inner service finds the verified
/// [`Event`](kinde_webhook::Event) in the request extensions:
///
/// ```
/// use std::convert::Infallible;
///
/// use bytes::Bytes;
/// use http::{Request, Response};
/// use http_body_util::Full;
/// use kinde_webhook::{Event, Verifier};
/// use kinde_webhook_tower::KindeWebhookLayer;
/// use tower::ServiceBuilder;
///
/// async fn handle(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
///     let event = request.extensions().get::<Event>().expect("the layer inserts the event");
///     println!("{} {}", event.event_type, event.event_id);
///     Ok(Response::new(Full::default()))
/// }
///
/// # fn main() -> Result<(), kinde_webhook::Error> {
/// let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
/// let service = ServiceBuilder::new()
///     .layer(KindeWebhookLayer::new(verifier))
///     .service_fn(handle);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KindeWebhookLayer {
    config: Config,
}

/// The settings a [`KindeWebhookLayer`] hands to each [`KindeWebhook`].
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) verifier: Verifier,
    pub(crate) on_rejection: Option<RejectionHook>,
}

impl KindeWebhookLayer {
    /// Creates a layer that verifies webhooks with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            config: Config {
                verifier,
                on_rejection: None,
            },
        }
    }

    /// Replaces the response sent when verification fails.
    ///
    /// By default a rejection gets the status of [`Error::status`], a
    /// `Retry-After` header when [`Error::retry_after`] has one, and the JSON
    /// body of [`Error::to_json_body`]. The hook receives the [`Error`] instead
    /// and returns the whole response; any body with [`Bytes`] data works, such
    /// as `http_body_util::Full<Bytes>`, `String` or axum's `Body`. The layer
    /// still logs the rejection.
    ///
    /// The hook is not called for a body over the token size limit (413) or a
    /// body that fails to arrive (400): the layer detects those itself, before
    /// any [`Error`] exists, and responds with its own JSON body.
    ///
    /// ```
    /// use http::{Response, StatusCode};
    /// use kinde_webhook::Verifier;
    /// use kinde_webhook_tower::KindeWebhookLayer;
    ///
    /// # fn main() -> Result<(), kinde_webhook::Error> {
    /// let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
    /// let layer = KindeWebhookLayer::new(verifier).on_rejection(|error| {
    ///     // Tell the sender only the status, never the reason.
    ///     let mut response = Response::new(String::new());
    ///     *response.status_mut() = error.status();
    ///     response
    /// });
    /// # Ok(())
    /// # }
    /// ```
    // NOTE: the core `Error` has no public constructor, so the layer cannot
    // hand its own 413 and 400 rejections to the hook.
    pub fn on_rejection<F, B>(mut self, hook: F) -> Self
    where
        F: Fn(&Error) -> Response<B> + Send + Sync + 'static,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.config.on_rejection = Some(rejection::hook(hook));
        self
    }

    /// Returns the verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.config.verifier
    }
}

impl<S> Layer<S> for KindeWebhookLayer {
    type Service = KindeWebhook<S>;

    fn layer(&self, inner: S) -> Self::Service {
        KindeWebhook::from_config(inner, Arc::new(self.config.clone()))
    }
}

impl fmt::Debug for KindeWebhookLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindeWebhookLayer")
            .field("verifier", &self.verifier)
            .field(
                "on_rejection",
                &self.on_rejection.as_ref().map(|_| "custom"),
            )
            .finish()
    }
}
