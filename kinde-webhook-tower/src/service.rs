//! [`KindeWebhook`]: the service that verifies a webhook before calling the inner service.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body::Body;
use kinde_webhook::Verifier;
use tower::{Layer as _, Service};

use crate::body::{BoxError, ResponseBody};
use crate::future::ResponseFuture;
use crate::layer::{Config, KindeWebhookLayer};
use crate::verify::verify_then_call;

/// A service that verifies Kinde webhooks and calls the inner service with
/// verified ones only. Built by [`KindeWebhookLayer`].
///
/// For a `POST` request it:
///
/// 1. responds 413 when `Content-Length` (or the body's size hint) is over the
///    verifier's [`max_token_size`](Verifier::max_token_size), before reading;
/// 2. reads the whole body, and responds 413 as soon as it passes the limit;
/// 3. verifies the body with the [`Verifier`], and responds to a failure with the
///    status of [`Error::status`](kinde_webhook::Error::status) (400, 401 or
///    503 with `Retry-After`) and a short JSON body;
/// 4. inserts the verified [`Event`](kinde_webhook::Event) into the request
///    extensions and calls the inner service with a body built from the
///    original bytes (`ReqBody::from(bytes)`).
///
/// Requests with any other method reach the inner service untouched, so a
/// router behind the layer still responds 405 for them.
///
/// The request body type must be constructible from [`Bytes`], as axum's
/// `Body` and `http_body_util::Full<Bytes>` are. Map a body that is not, such
/// as hyper's `Incoming`, to one of those before this service.
#[derive(Clone)]
pub struct KindeWebhook<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> KindeWebhook<S> {
    /// Wraps `inner` in a service that verifies webhooks with `verifier`.
    pub fn new(inner: S, verifier: Verifier) -> Self {
        KindeWebhookLayer::new(verifier).layer(inner)
    }

    /// Creates a [`KindeWebhookLayer`] that verifies webhooks with `verifier`.
    pub fn layer(verifier: Verifier) -> KindeWebhookLayer {
        KindeWebhookLayer::new(verifier)
    }

    pub(crate) fn from_config(inner: S, config: Arc<Config>) -> Self {
        Self { inner, config }
    }

    /// Returns a reference to the inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Returns a mutable reference to the inner service.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Consumes this service and returns the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for KindeWebhook<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Body + From<Bytes> + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
    ResBody: Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        if request.method() != Method::POST {
            return ResponseFuture::passthrough(self.inner.call(request));
        }

        // The inner service was driven to readiness by `poll_ready`; take that
        // one into the future and leave a fresh clone in its place.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let config = Arc::clone(&self.config);
        ResponseFuture::verifying(Box::pin(verify_then_call(config, inner, request)))
    }
}

impl<S: fmt::Debug> fmt::Debug for KindeWebhook<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindeWebhook")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish()
    }
}
