//! [`KindeWebhookLayer`]: applies [`KindeWebhook`] to a service.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http_body::Body;
use kinde_webhook::idempotency::{Idempotency, IdempotencyStore};
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
    pub(crate) idempotency: Option<Idempotency>,
}

impl KindeWebhookLayer {
    /// Creates a layer that verifies webhooks with `verifier`.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            config: Config {
                verifier,
                on_rejection: None,
                idempotency: None,
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
    /// The hook gets every [`Error`]: verification failures, a body over the
    /// token size limit ([`ErrorKind::PayloadTooLarge`](kinde_webhook::ErrorKind::PayloadTooLarge)),
    /// a body that fails to arrive (`MalformedToken`), and an unreachable
    /// idempotency store (`StoreUnavailable`). The idempotency responses that
    /// are not errors (200 for a duplicate, 409 for one in progress) do not
    /// go through it.
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
    pub fn on_rejection<F, B>(mut self, hook: F) -> Self
    where
        F: Fn(&Error) -> Response<B> + Send + Sync + 'static,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.config.on_rejection = Some(rejection::hook(hook));
        self
    }

    /// Turns on de-duplication by the signed `event_id`, with `store` recording
    /// which events were handled.
    ///
    /// Kinde delivers at least once, so one event can arrive several times,
    /// even while an earlier delivery is still being handled. With a store, a
    /// verified event is claimed before the inner service runs:
    ///
    /// - an event already handled gets `200 OK` with
    ///   `{"status":"duplicate","event_id":"..."}` and the inner service is
    ///   not called;
    /// - an event whose earlier delivery is still being handled gets
    ///   `409 Conflict` with `Retry-After: 5` and a JSON body;
    /// - an unreachable store gets `503 Service Unavailable` with
    ///   `Retry-After: 30` (through the rejection hook when one is set), and
    ///   the inner service is not called.
    ///
    /// A 2xx response of the inner service marks the event completed. Any
    /// other status, an error or a panic releases the claim, so the next
    /// delivery runs the inner service again. Use a shared store such as
    /// `RedisStore` (feature `redis`) when several instances receive webhooks.
    ///
    /// The claim's lease (60 s by default) is renewed while the inner service
    /// runs. It only bounds how long an instance that stopped (or lost the
    /// store for longer than the lease) blocks redeliveries.
    ///
    /// ```
    /// use kinde_webhook::Verifier;
    /// use kinde_webhook::idempotency::MemoryStore;
    /// use kinde_webhook_tower::KindeWebhookLayer;
    ///
    /// # fn main() -> Result<(), kinde_webhook::Error> {
    /// let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
    /// let layer = KindeWebhookLayer::new(verifier).idempotency(MemoryStore::new());
    /// # Ok(())
    /// # }
    /// ```
    pub fn idempotency(self, store: impl IdempotencyStore) -> Self {
        self.with_idempotency(Idempotency::new(store))
    }

    /// Turns on de-duplication with an [`Idempotency`] handle, for a store
    /// that is shared with other layers or other code. See
    /// [`idempotency`](Self::idempotency) for the responses.
    pub fn with_idempotency(mut self, idempotency: Idempotency) -> Self {
        self.config.idempotency = Some(idempotency);
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
            .field("idempotency", &self.idempotency)
            .finish()
    }
}
