//! Tests of the typed event model against real and edge-case payloads.

use std::sync::{Arc, Mutex};

use kinde_webhook::testing::samples;
use kinde_webhook::{EnvelopeError, Event, EventData, EventType, RawData, Source};
use serde_json::{Value, json};

/// The decoded payload of a real `user.updated` webhook, from the test fixtures of Kinde's
/// webhook library.
const REAL_USER_UPDATED: &str = r#"{"data":{"user":{"email":"daniel@kinde.com","first_name":"Daniel","id":"kp_65b28d71bba14fa380d56d2d8d3503da",
  "is_password_reset_requested":false,"is_suspended":false,"last_name":"Rivers",
  "organizations":[{"code":"org_590d7f1a86a","permissions":null,"roles":null}],"phone":null,"username":"daniel"}},
 "event_id":"event_018f331a3178f7fef284b95fe6770384","source":"admin",
 "timestamp":"2024-05-01T17:41:45.592145+10:00","type":"user.updated"}"#;

/// Builds the `user.created` example of Kinde's webhook documentation (2026), which adds
/// `event_timestamp`.
fn docs_user_created() -> Value {
    json!({
        "type": "user.created",
        "event_id": "event_0194c7a2b3c44d5e8f90a1b2c3d4e5f6",
        "source": "admin",
        "timestamp": "2026-02-03T12:00:00.000Z",
        "event_timestamp": "2026-02-03T12:00:00.000Z",
        "data": {"user": {
            "id": "kp_0194c7a2b3c44d5e8f90a1b2c3d4e5f6",
            "email": "jane@example.com",
            "first_name": "Jane",
            "last_name": "",
            "username": null,
            "phone": null,
            "is_suspended": false,
            "is_password_reset_requested": false,
            "organizations": [{"code": "org_0194c7a2b3c", "roles": null, "permissions": null}]
        }}
    })
}

fn parse(value: Value) -> Event {
    Event::from_value(value).expect("the envelope is usable")
}

fn raw_data(event: &Event) -> &RawData {
    match &event.data {
        EventData::Other(raw) => raw,
        other => panic!("expected EventData::Other, got {other:?}"),
    }
}

fn envelope_error(value: Value) -> EnvelopeError {
    Event::from_value(value).expect_err("the envelope is unusable")
}

fn round_trip(event: &Event) -> Event {
    let json = serde_json::to_string(event).expect("an event serializes");
    serde_json::from_str(&json).expect("a serialized event deserializes")
}

#[test]
fn real_payload_parses_envelope() {
    let event = Event::from_json(REAL_USER_UPDATED.as_bytes()).unwrap();

    assert_eq!(event.event_id, "event_018f331a3178f7fef284b95fe6770384");
    assert_eq!(event.event_type, "user.updated");
    assert_eq!(event.source, Source::Admin);
    assert_eq!(event.timestamp, "2024-05-01T17:41:45.592145+10:00");
    assert_eq!(event.event_timestamp, None);
    assert_eq!(event.ip_address, None);
    assert!(event.extra.is_empty());
}

#[test]
fn real_payload_parses_user() {
    let event = Event::from_json(REAL_USER_UPDATED.as_bytes()).unwrap();
    let EventData::UserUpdated(data) = &event.data else {
        panic!("expected UserUpdated, got {:?}", event.data);
    };
    let user = &data.user;

    assert_eq!(user.id, "kp_65b28d71bba14fa380d56d2d8d3503da");
    assert_eq!(user.email(), Some("daniel@kinde.com"));
    assert_eq!(user.first_name.as_deref(), Some("Daniel"));
    assert_eq!(user.last_name.as_deref(), Some("Rivers"));
    assert_eq!(user.username.as_deref(), Some("daniel"));
    assert_eq!(user.phone, None);
    assert!(!user.is_suspended);
    assert!(!user.is_password_reset_requested);
    assert_eq!(user.organizations.len(), 1);
    assert_eq!(user.organizations[0].code, "org_590d7f1a86a");
}

#[test]
fn real_payload_null_roles_are_empty() {
    let event = Event::from_json(REAL_USER_UPDATED.as_bytes()).unwrap();
    let membership = &event.user().unwrap().organizations[0];

    assert!(membership.roles.is_empty());
    assert!(membership.permissions.is_empty());
}

#[test]
fn real_payload_timestamp_keeps_microseconds_and_offset() {
    let event = Event::from_json(REAL_USER_UPDATED.as_bytes()).unwrap();
    let timestamp = event.parse_timestamp().unwrap();

    assert_eq!(timestamp.offset().whole_hours(), 10);
    assert_eq!(timestamp.microsecond(), 592_145);
    assert_eq!(timestamp.unix_timestamp(), 1_714_549_305);
}

#[test]
fn real_payload_serializes_to_same_shape() {
    let event = Event::from_json(REAL_USER_UPDATED.as_bytes()).unwrap();
    let mut expected: Value = serde_json::from_str(REAL_USER_UPDATED).unwrap();
    // The model reads `null` role and permission lists as empty lists.
    expected["data"]["user"]["organizations"][0]["roles"] = json!([]);
    expected["data"]["user"]["organizations"][0]["permissions"] = json!([]);

    assert_eq!(serde_json::to_value(&event).unwrap(), expected);
}

#[test]
fn docs_sample_parses_event_timestamp() {
    let event = parse(docs_user_created());

    assert_eq!(
        event.event_timestamp.as_deref(),
        Some("2026-02-03T12:00:00.000Z")
    );
    let event_timestamp = event.parse_event_timestamp().unwrap().unwrap();
    assert_eq!(event_timestamp, event.parse_timestamp().unwrap());
    assert_eq!(event_timestamp.unix_timestamp(), 1_770_120_000);
}

#[test]
fn docs_sample_keeps_empty_last_name() {
    let event = parse(docs_user_created());
    let user = event.user().unwrap();

    assert_eq!(user.last_name.as_deref(), Some(""));
    assert_eq!(user.username, None);
    assert_eq!(user.email(), Some("jane@example.com"));
}

#[test]
fn missing_event_timestamp_parses_as_none() {
    let event = samples::user_created().to_event();

    assert!(matches!(event.parse_event_timestamp(), Ok(None)));
}

#[test]
fn invalid_timestamp_error_names_field() {
    let event = samples::user_created().timestamp("yesterday").to_event();
    let error = event.parse_timestamp().unwrap_err();

    assert_eq!(error.field(), "timestamp");
    assert!(error.to_string().contains("`timestamp`"), "{error}");
}

#[test]
fn null_email_reads_as_none() {
    let event = samples::user_created().email(None).to_event();
    let user = event.user().unwrap();

    assert_eq!(user.email, None);
    assert_eq!(user.email(), None);
}

#[test]
fn empty_email_reads_as_none() {
    let event = samples::user_created().email(Some("")).to_event();
    let user = event.user().unwrap();

    assert_eq!(user.email.as_deref(), Some(""));
    assert_eq!(user.email(), None);
}

#[test]
fn missing_email_reads_as_none() {
    let event = samples::user_created()
        .with_data(|data| {
            data["user"].as_object_mut().unwrap().remove("email");
        })
        .to_event();

    assert_eq!(event.user().unwrap().email(), None);
}

#[test]
fn role_and_permission_arrays_parse() {
    let event = samples::user_updated().to_event();
    let membership = &event.user().unwrap().organizations[0];

    assert_eq!(membership.roles.len(), 1);
    assert_eq!(
        membership.roles[0].id,
        "0190b5c2-8d4e-7a31-9f62-3c1d2e4f5a6b"
    );
    assert_eq!(membership.roles[0].key, "admin");
    assert_eq!(membership.permissions.len(), 1);
    assert_eq!(membership.permissions[0].key, "read:reports");
}

#[test]
fn every_documented_type_maps_to_its_variant() {
    for event_type in EventType::ALL {
        let event = samples::of_type(event_type).to_event();

        assert_eq!(event.event_type, event_type.as_str());
        assert_eq!(
            event.data.event_type(),
            Some(event_type),
            "{event_type}: {:?}",
            event.data
        );
    }
}

#[test]
fn every_documented_type_survives_round_trip() {
    for event_type in EventType::ALL {
        let event = samples::of_type(event_type).to_event();

        assert_eq!(round_trip(&event), event, "{event_type}");
    }
}

#[test]
fn samples_serialize_to_their_json() {
    // The `user.created` sample has `null` role lists, which serialize as `[]`. The real
    // payload test checks that case.
    for event_type in EventType::ALL
        .into_iter()
        .filter(|event_type| *event_type != EventType::UserCreated)
    {
        let sample = samples::of_type(event_type);

        assert_eq!(
            serde_json::to_value(sample.to_event()).unwrap(),
            sample.to_json(),
            "{event_type}"
        );
    }
}

#[test]
fn typed_data_fields_parse() {
    let EventData::OrganizationUpdated(data) = samples::organization_updated().to_event().data
    else {
        panic!("expected OrganizationUpdated");
    };
    assert_eq!(data.organization.code, "org_7c1e5ab93d2");
    assert_eq!(data.organization.is_allow_registrations, Some(true));

    let EventData::RoleCreated(data) = samples::role_created().to_event().data else {
        panic!("expected RoleCreated");
    };
    assert_eq!(data.role.key, "admin");
    assert_eq!(data.role.description, None);

    let EventData::AccessRequestCreated(data) = samples::access_request_created().to_event().data
    else {
        panic!("expected AccessRequestCreated");
    };
    assert_eq!(
        data.access_request.user_id,
        "kp_3f1c9a0d5e7b42c8a6d0b1e2f3a4c5d6"
    );
}

#[test]
fn unknown_type_keeps_raw_data() {
    let data = json!({"subscription": {"id": "sub_1", "plan": "pro"}});
    let event = samples::event("subscription.created", data.clone()).to_event();
    let raw = raw_data(&event);

    assert_eq!(event.event_type, "subscription.created");
    assert_eq!(raw.data, data);
    assert_eq!(raw.parse_error, None);
}

#[test]
fn unknown_type_survives_round_trip() {
    let event = samples::event("subscription.created", json!({"id": 7})).to_event();

    assert_eq!(round_trip(&event), event);
}

#[test]
fn wrong_data_shape_falls_back_to_raw() {
    let event = samples::user_created()
        .with_data(|data| data["user"] = json!("ada.lovelace@example.com"))
        .to_event();
    let raw = raw_data(&event);

    assert_eq!(event.event_type, "user.created");
    assert_eq!(raw.data["user"], "ada.lovelace@example.com");
    assert_eq!(event.user(), None);
    assert_eq!(event.data.event_type(), None);
}

#[test]
fn wrong_data_shape_sets_parse_error() {
    let event = samples::user_created()
        .with_data(|data| data["user"] = json!("ada.lovelace@example.com"))
        .to_event();
    let parse_error = raw_data(&event).parse_error.as_deref().unwrap();

    assert_eq!(
        parse_error,
        "data.user: found a string, expected struct User"
    );
}

#[test]
fn wrong_nested_shape_sets_parse_error() {
    let event = samples::user_created()
        .with_data(|data| data["user"]["is_suspended"] = json!("no"))
        .to_event();
    let parse_error = raw_data(&event).parse_error.as_deref().unwrap();

    assert_eq!(
        parse_error,
        "data.user.is_suspended: found a string, expected a boolean"
    );
}

#[test]
fn wrong_data_shape_logs_warning_without_payload() {
    let logs = capture_logs(|| {
        samples::user_created()
            .event_id("event_0123456789abcdef0123456789abcdef")
            .with_data(|data| data["user"]["first_name"] = json!(["Ada"]))
            .to_event();
    });

    assert!(logs.contains("WARN"), "{logs}");
    assert!(
        logs.contains("event_0123456789abcdef0123456789abcdef"),
        "{logs}"
    );
    assert!(logs.contains("user.created"), "{logs}");
    assert!(logs.contains("data.user.first_name"), "{logs}");
    assert!(!logs.contains("ada.lovelace@example.com"), "{logs}");
}

#[test]
fn parsed_data_logs_no_warning() {
    let logs = capture_logs(|| {
        samples::user_created().to_event();
    });

    assert!(!logs.contains("WARN"), "{logs}");
}

#[test]
fn non_object_payload_is_rejected() {
    let error = envelope_error(json!(["user.created"]));

    assert!(
        matches!(error, EnvelopeError::NotAnObject { found: "an array" }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "Kinde event payload is an array, expected a JSON object"
    );
}

#[test]
fn invalid_json_is_rejected() {
    let error = Event::from_json(b"{\"type\": ").unwrap_err();

    assert!(matches!(error, EnvelopeError::InvalidJson(_)), "{error:?}");
    assert_eq!(error.field(), None);
}

#[test]
fn missing_required_fields_are_named() {
    for field in ["type", "event_id", "timestamp", "data"] {
        let payload = samples::user_created()
            .with_envelope(|envelope| {
                envelope.as_object_mut().unwrap().remove(field);
            })
            .to_json();
        let error = envelope_error(payload);

        assert_eq!(error.field(), Some(field), "{error}");
        assert_eq!(
            error.to_string(),
            format!("Kinde event envelope has no `{field}` field")
        );
    }
}

#[test]
fn non_string_required_fields_are_named() {
    for field in ["type", "event_id", "timestamp"] {
        let payload = samples::user_created()
            .with_envelope(|envelope| envelope[field] = json!(42))
            .to_json();
        let error = envelope_error(payload);

        assert_eq!(error.field(), Some(field), "{error}");
        assert_eq!(
            error.to_string(),
            format!("Kinde event envelope field `{field}` is a number, expected a string")
        );
    }
}

#[test]
fn non_object_data_is_rejected() {
    let payload = samples::user_created()
        .with_data(|data| *data = json!("ada.lovelace@example.com"))
        .to_json();
    let error = envelope_error(payload);

    assert_eq!(error.field(), Some("data"));
    assert_eq!(
        error.to_string(),
        "Kinde event envelope field `data` is a string, expected an object"
    );
}

#[test]
fn envelope_error_through_serde_names_field() {
    let payload = samples::user_created()
        .with_envelope(|envelope| {
            envelope.as_object_mut().unwrap().remove("event_id");
        })
        .to_json()
        .to_string();
    let error = serde_json::from_str::<Event>(&payload).unwrap_err();

    assert!(error.to_string().contains("`event_id`"), "{error}");
}

#[test]
fn malformed_event_id_is_accepted() {
    let event = samples::user_created().event_id("evt-123").to_event();

    assert_eq!(event.event_id, "evt-123");
}

#[test]
fn unknown_top_level_fields_survive_round_trip() {
    let event = samples::user_created()
        .with_envelope(|envelope| {
            envelope["jti"] = json!("b1e7");
            envelope["webhook"] = json!({"id": "webhook_1"});
        })
        .to_event();
    let decoded = round_trip(&event);

    assert_eq!(decoded.extra["jti"], "b1e7");
    assert_eq!(decoded.extra["webhook"], json!({"id": "webhook_1"}));
    assert_eq!(decoded, event);
}

#[test]
fn unknown_user_fields_survive_round_trip() {
    let event = samples::user_created()
        .with_data(|data| {
            data["user"]["preferred_locale"] = json!("en-AU");
            data["user"]["organizations"][0]["joined_on"] = json!("2024-05-01");
        })
        .to_event();
    let decoded = round_trip(&event);
    let user = decoded.user().unwrap();

    assert_eq!(user.extra["preferred_locale"], "en-AU");
    assert_eq!(user.organizations[0].extra["joined_on"], "2024-05-01");
    assert_eq!(decoded, event);
}

#[test]
fn unknown_data_fields_survive_round_trip() {
    let event = samples::user_created()
        .with_data(|data| data["context"] = json!({"flow": "sign_up"}))
        .to_event();
    let EventData::UserCreated(data) = &round_trip(&event).data else {
        panic!("expected UserCreated");
    };

    assert_eq!(data.extra["context"], json!({"flow": "sign_up"}));
}

#[test]
fn authenticated_event_has_ip_address() {
    let event = samples::user_authenticated().to_event();

    assert_eq!(event.ip_address.as_deref(), Some("203.0.113.7"));
    assert!(matches!(event.data, EventData::UserAuthenticated(_)));
}

#[test]
fn authenticated_event_reads_authorization() {
    let event = samples::user_authenticated()
        .with_data(|data| data["authorization"] = json!({"org_code": "org_7c1e5ab93d2"}))
        .to_event();
    let EventData::UserAuthenticated(data) = &event.data else {
        panic!("expected UserAuthenticated, got {:?}", event.data);
    };
    let authorization = data.authorization.as_ref().unwrap();

    assert_eq!(authorization.org_code.as_deref(), Some("org_7c1e5ab93d2"));
}

#[test]
fn non_string_ip_address_stays_in_extra() {
    let event = samples::user_authenticated()
        .with_envelope(|envelope| envelope["ip_address"] = json!(null))
        .to_event();

    assert_eq!(event.ip_address, None);
    assert_eq!(event.extra["ip_address"], Value::Null);
    assert_eq!(
        serde_json::to_value(&event).unwrap()["ip_address"],
        Value::Null
    );
}

#[test]
fn other_source_survives_round_trip() {
    let event = samples::user_created().source("partner").to_event();
    let decoded = round_trip(&event);

    assert_eq!(event.source, Source::Other("partner".to_owned()));
    assert_eq!(decoded.source, Source::Other("partner".to_owned()));
    assert_eq!(serde_json::to_value(&decoded).unwrap()["source"], "partner");
}

#[test]
fn missing_source_reads_as_empty_other() {
    let payload = samples::user_created()
        .with_envelope(|envelope| {
            envelope.as_object_mut().unwrap().remove("source");
        })
        .to_json();

    assert_eq!(parse(payload).source, Source::Other(String::new()));
}

#[test]
fn non_string_source_reads_as_json_text() {
    let payload = samples::user_created()
        .with_envelope(|envelope| envelope["source"] = json!(3))
        .to_json();

    assert_eq!(parse(payload).source, Source::Other("3".to_owned()));
}

#[test]
fn event_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Event>();
    assert_send_sync::<EnvelopeError>();
}

/// Runs `action` with a `tracing` subscriber that records every event as text.
fn capture_logs(action: impl FnOnce()) -> String {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer_buffer = Arc::clone(&buffer);
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || SharedWriter(Arc::clone(&writer_buffer)))
        .finish();

    tracing::subscriber::with_default(subscriber, action);

    let bytes = buffer.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
