//! The layer in plain tower stacks, without axum's router: `ServiceBuilder`
//! around a `service_fn`, a hand-written service, and a hyper server.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use kinde_webhook::Event;
use kinde_webhook::testing::{TestIssuer, TestKey, samples};
use kinde_webhook_tower::{KindeWebhook, KindeWebhookLayer, ResponseBody};
use tower::{Service, ServiceBuilder, ServiceExt as _, service_fn};

/// The inner service of the tests: counts calls and responds 200 with
/// `"{event_id or -}|{body}"`.
fn inner_service(
    calls: Arc<AtomicUsize>,
) -> impl Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    service_fn(move |request: Request<Full<Bytes>>| {
        let calls = Arc::clone(&calls);
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            let event_id = request
                .extensions()
                .get::<Event>()
                .map_or("-".to_owned(), |event| event.event_id.clone());
            let body = request.into_body().collect().await.unwrap().to_bytes();
            let text = format!("{event_id}|{}", String::from_utf8_lossy(&body));
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
        }
    })
}

fn post(body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    Request::post("/webhooks/kinde")
        .body(Full::new(body.into()))
        .unwrap()
}

async fn body_text<B>(response: Response<ResponseBody<B>>) -> String
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<kinde_webhook_tower::BoxError>,
{
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn service_fn_receives_event_and_original_body() {
    let issuer = TestIssuer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let service = ServiceBuilder::new()
        .layer(KindeWebhookLayer::new(issuer.verifier()))
        .service(inner_service(Arc::clone(&calls)));
    let sample = samples::user_created();
    let event_id = sample.to_json()["event_id"].as_str().unwrap().to_owned();
    let token = issuer.sign(&sample.to_json());

    let response = service.oneshot(post(token.clone())).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_text(response).await, format!("{event_id}|{token}"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn service_fn_not_called_on_rejection() {
    let issuer = TestIssuer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let service = KindeWebhook::new(inner_service(Arc::clone(&calls)), issuer.verifier());
    let token = TestKey::impostor().sign(&samples::user_created().to_json());

    let response = service.oneshot(post(token)).await.unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(body["error"], "invalid_signature");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn non_post_passes_through_unverified() {
    let issuer = TestIssuer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let service = KindeWebhook::new(inner_service(Arc::clone(&calls)), issuer.verifier());

    for method in [Method::GET, Method::PUT, Method::HEAD, Method::OPTIONS] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/webhooks/kinde")
            .body(Full::new(Bytes::from_static(b"not a token")))
            .unwrap();

        let response = service.clone().oneshot(request).await.unwrap();

        assert_eq!(response.status(), StatusCode::OK, "{method}");
        assert_eq!(body_text(response).await, "-|not a token", "{method}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(issuer.fetch_count(), 0);
}

#[tokio::test]
async fn size_hint_over_limit_gives_413() {
    let issuer = TestIssuer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let service = KindeWebhook::new(inner_service(Arc::clone(&calls)), issuer.verifier());

    let response = service.oneshot(post(vec![b'a'; 300 * 1024])).await.unwrap();

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(body["error"], "payload_too_large");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// A service that must be driven to readiness before each call. Its clones
/// start unready, as clones of buffered or rate-limited services do.
struct ReadyOnce {
    ready: bool,
    polls: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl Clone for ReadyOnce {
    fn clone(&self) -> Self {
        Self {
            ready: false,
            polls: Arc::clone(&self.polls),
            calls: Arc::clone(&self.calls),
        }
    }
}

impl Service<Request<Full<Bytes>>> for ReadyOnce {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.ready = true;
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _request: Request<Full<Bytes>>) -> Self::Future {
        assert!(
            self.ready,
            "called a service that was not driven to readiness"
        );
        self.ready = false;
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(Response::new(Full::default())))
    }
}

#[tokio::test]
async fn readied_inner_service_is_the_one_called() {
    let issuer = TestIssuer::start().await;
    let polls = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let inner = ReadyOnce {
        ready: false,
        polls: Arc::clone(&polls),
        calls: Arc::clone(&calls),
    };
    let mut service = KindeWebhook::new(inner, issuer.verifier());

    for _ in 0..2 {
        let token = issuer.sign(&samples::user_created().to_json());
        let response = service
            .ready()
            .await
            .unwrap()
            .call(post(token))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    assert_eq!(polls.load(Ordering::SeqCst), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(
        !service.get_ref().ready,
        "the service left in place is a fresh clone"
    );
}

#[tokio::test]
async fn hyper_server_with_layer() {
    use hyper::server::conn::http1;
    use hyper_util::rt::TokioIo;

    let issuer = TestIssuer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let service = ServiceBuilder::new()
        // hyper's `Incoming` body cannot be rebuilt from bytes, so map it to
        // a body type that can before the layer.
        .map_request(|request: Request<hyper::body::Incoming>| request.map(axum::body::Body::new))
        .layer(KindeWebhookLayer::new(issuer.verifier()))
        .service(counting_axum_body_service(Arc::clone(&calls)));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = service.clone();
            tokio::spawn(async move {
                let hyper_service =
                    hyper::service::service_fn(move |request| service.clone().oneshot(request));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper_service)
                    .await;
            });
        }
    });
    let url = format!("http://{address}/webhooks/kinde");
    let client = reqwest::Client::new();

    let accepted = client
        .post(&url)
        .body(issuer.sign(&samples::user_created().to_json()))
        .send()
        .await
        .unwrap();
    let rejected = client.post(&url).body("abc.def").send().await.unwrap();

    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(rejected.status(), StatusCode::BAD_REQUEST);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

fn counting_axum_body_service(
    calls: Arc<AtomicUsize>,
) -> impl Service<
    Request<axum::body::Body>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ Sync
+ 'static {
    service_fn(move |request: Request<axum::body::Body>| {
        let calls = Arc::clone(&calls);
        async move {
            assert!(request.extensions().get::<Event>().is_some());
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, Infallible>(Response::new(Full::default()))
        }
    })
}
