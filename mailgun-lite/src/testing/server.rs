//! The double's HTTP server, which accepts connections and responds to
//! requests the way Mailgun's Messages API does.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::recorded::{RecordedFile, RecordedMessage};
use super::reply::{MockReply, default_body};

/// Largest request body the double reads. Mailgun returns 413 above about
/// this size ("request size exceeds 52.4MiB limit").
const MAX_REQUEST_BYTES: usize = 52_428_800;

/// State shared by the server tasks and the `MockMailgun` handle.
pub(crate) struct State {
    pub(crate) api_key: String,
    pub(crate) domain: String,
    pub(crate) messages: Mutex<Vec<RecordedMessage>>,
    pub(crate) message_recorded: Notify,
    pub(crate) requests: AtomicUsize,
    pub(crate) connections: AtomicUsize,
    pub(crate) script: Mutex<VecDeque<MockReply>>,
    next_sequence: AtomicU64,
}

impl State {
    pub(crate) fn new(api_key: String, domain: String) -> Self {
        Self {
            api_key,
            domain,
            messages: Mutex::new(Vec::new()),
            message_recorded: Notify::new(),
            requests: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            script: Mutex::new(VecDeque::new()),
            next_sequence: AtomicU64::new(1),
        }
    }
}

/// Locks `mutex`, ignoring poisoning: the data is a plain list that a
/// panicking test cannot leave half-written.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Accepts connections until the task is aborted; aborting it drops the
/// `JoinSet`, which aborts every connection task too.
pub(crate) async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    state.connections.fetch_add(1, Ordering::SeqCst);
                    connections.spawn(serve_connection(stream, Arc::clone(&state)));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    let service = service_fn(move |request| handle(Arc::clone(&state), request));
    // A client that disconnects mid-request ends the connection with an error;
    // there is nothing to report.
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

type Reply = Response<Full<Bytes>>;

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Reply, Infallible> {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(reply_for_status(&state, StatusCode::PAYLOAD_TOO_LARGE)),
    };

    let scripted = lock(&state.script).pop_front();
    if let Some(scripted) = scripted {
        if let Some(delay) = scripted.delay {
            tokio::time::sleep(delay).await;
        }
        if let Some(status) = scripted.status {
            return Ok(scripted_reply(&state, status, &scripted));
        }
    }
    Ok(route(&state, &parts, body).await)
}

async fn route(state: &State, parts: &Parts, body: Bytes) -> Reply {
    let path = parts.uri.path();
    let Some(domain) = path
        .strip_prefix("/v3/")
        .and_then(|rest| rest.strip_suffix("/messages"))
    else {
        // Mailgun returns 200 with this text on paths it does not serve.
        return reply(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            "Mailgun Magnificent API".into(),
        );
    };
    if !authorized(state, parts) {
        return reply_for_status(state, StatusCode::UNAUTHORIZED);
    }
    if domain != state.domain {
        let body = serde_json::json!({ "message": format!("Domain not found: {domain}") });
        return json_reply(StatusCode::NOT_FOUND, &body);
    }
    if parts.method != Method::POST {
        return json_reply(
            StatusCode::METHOD_NOT_ALLOWED,
            &serde_json::json!({ "message": "Method not allowed" }),
        );
    }
    match parse_form(parts, body).await {
        Ok((fields, files)) => accept(state, fields, files),
        Err(message) => json_reply(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({ "message": message }),
        ),
    }
}

fn authorized(state: &State, parts: &Parts) -> bool {
    let Some(encoded) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = BASE64.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("api:{}", state.api_key);
    decoded == expected.as_bytes()
}

type Form = (Vec<(String, String)>, Vec<RecordedFile>);

async fn parse_form(parts: &Parts, body: Bytes) -> Result<Form, String> {
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| format!("the double reads multipart/form-data only, not {content_type:?}"))?;
    let mut multipart = multer::Multipart::new(Full::new(body).into_data_stream(), boundary);
    let mut fields = Vec::new();
    let mut files = Vec::new();

    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let Some(name) = field.name().map(str::to_owned) else {
            return Err("malformed multipart/form-data request: a part has no `name`".into());
        };
        if let Some(file_name) = field.file_name().map(str::to_owned) {
            let content_type = field.content_type().map(ToString::to_string);
            let data = field.bytes().await.map_err(malformed)?;
            files.push(RecordedFile {
                field: name,
                file_name: Some(file_name),
                content_type,
                data,
            });
        } else {
            let value = field.text().await.map_err(malformed)?;
            fields.push((name, value));
        }
    }
    Ok((fields, files))
}

fn malformed(error: multer::Error) -> String {
    format!("malformed multipart/form-data request: {error}")
}

/// Checks the parameters Mailgun requires, records the message and answers
/// as Mailgun does.
fn accept(state: &State, fields: Vec<(String, String)>, files: Vec<RecordedFile>) -> Reply {
    let has = |name: &str| fields.iter().any(|(field, _)| field == name);
    let problem = if !has("from") {
        Some("from parameter is missing")
    } else if !has("to") {
        Some("to parameter is missing")
    } else if !["text", "html", "amp-html", "template"]
        .iter()
        .any(|name| has(name))
    {
        Some("Need at least one of 'text' or 'html' parameters specified")
    } else if has("html") && has("template") {
        Some("Only one parameters 'html' or 'template' is allowed")
    } else {
        None
    };
    if let Some(message) = problem {
        return json_reply(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({ "message": message }),
        );
    }

    let id = message_id(state);
    lock(&state.messages).push(RecordedMessage {
        id: id.clone(),
        fields,
        files,
    });
    state.message_recorded.notify_waiters();
    json_reply(
        StatusCode::OK,
        &serde_json::json!({ "id": id, "message": "Queued. Thank you." }),
    )
}

fn message_id(state: &State) -> String {
    let sequence = state.next_sequence.fetch_add(1, Ordering::SeqCst);
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or_default();
    let salt: u32 = rand::random();
    format!("<{seconds}.{sequence}.{salt:08x}@{}>", state.domain)
}

fn scripted_reply(state: &State, status: StatusCode, scripted: &MockReply) -> Reply {
    let (default_text, content_type) = default_body(status, &state.domain);
    let body = scripted.body.clone().unwrap_or(default_text);
    let mut response = reply(status, content_type, body);
    for (name, value) in &scripted.headers {
        response.headers_mut().append(name.clone(), value.clone());
    }
    response
}

fn reply_for_status(state: &State, status: StatusCode) -> Reply {
    let (body, content_type) = default_body(status, &state.domain);
    reply(status, content_type, body)
}

fn json_reply(status: StatusCode, body: &serde_json::Value) -> Reply {
    reply(status, "application/json", body.to_string())
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    response
}
