//! Tests of the sample payload builders in `testing::samples`.

use std::collections::HashSet;

use kinde_webhook::testing::samples;
use kinde_webhook::{EventType, Source};
use serde_json::{Value, json};

fn is_documented_event_id(event_id: &str) -> bool {
    event_id.strip_prefix("event_").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    })
}

#[test]
fn fresh_event_ids_have_documented_format() {
    let event_id = samples::fresh_event_id();

    assert!(is_documented_event_id(&event_id), "{event_id}");
}

#[test]
fn fresh_event_ids_are_unique() {
    let event_ids: HashSet<String> = (0..1000).map(|_| samples::fresh_event_id()).collect();

    assert_eq!(event_ids.len(), 1000);
}

#[test]
fn each_sample_gets_new_event_id() {
    let first = samples::user_created().to_event();
    let second = samples::user_created().to_event();

    assert_ne!(first.event_id, second.event_id);
    assert!(
        is_documented_event_id(&first.event_id),
        "{}",
        first.event_id
    );
}

#[test]
fn typed_samples_use_documented_id_formats() {
    let event = samples::user_created().to_event();
    let user = event.user().unwrap();

    assert!(user.id.starts_with("kp_"), "{}", user.id);
    assert_eq!(user.id.len(), "kp_".len() + 32);
    assert!(
        user.organizations[0].code.starts_with("org_"),
        "{}",
        user.organizations[0].code
    );
    assert_eq!(user.organizations[0].code.len(), "org_".len() + 11);
}

#[test]
fn sample_timestamp_parses() {
    let event = samples::user_created().to_event();

    assert_eq!(event.parse_timestamp().unwrap().offset().whole_hours(), 10);
}

#[test]
fn envelope_setters_write_fields() {
    let payload = samples::user_deleted()
        .event_id("event_0123456789abcdef0123456789abcdef")
        .source("api")
        .timestamp("2026-02-03T12:00:00.000Z")
        .event_timestamp(Some("2026-02-03T12:00:01.000Z"))
        .to_json();

    assert_eq!(
        payload["event_id"],
        "event_0123456789abcdef0123456789abcdef"
    );
    assert_eq!(payload["source"], "api");
    assert_eq!(payload["timestamp"], "2026-02-03T12:00:00.000Z");
    assert_eq!(payload["event_timestamp"], "2026-02-03T12:00:01.000Z");
}

#[test]
fn none_removes_optional_envelope_fields() {
    let payload = samples::user_authenticated()
        .event_timestamp(Some("2026-02-03T12:00:00.000Z"))
        .event_timestamp(None)
        .ip_address(None)
        .to_json();

    assert!(payload.get("event_timestamp").is_none(), "{payload}");
    assert!(payload.get("ip_address").is_none(), "{payload}");
}

#[test]
fn user_setters_write_fields() {
    let event = samples::user_created()
        .user_id("kp_00000000000000000000000000000001")
        .email(Some("grace@example.com"))
        .first_name(Some("Grace"))
        .last_name(None)
        .to_event();
    let user = event.user().unwrap();

    assert_eq!(user.id, "kp_00000000000000000000000000000001");
    assert_eq!(user.email(), Some("grace@example.com"));
    assert_eq!(user.first_name.as_deref(), Some("Grace"));
    assert_eq!(user.last_name, None);
}

#[test]
fn none_name_writes_null() {
    let payload = samples::user_created().first_name(None).to_json();

    assert_eq!(payload["data"]["user"]["first_name"], Value::Null);
}

#[test]
fn authentication_samples_carry_ip_address() {
    for sample in [
        samples::user_authenticated(),
        samples::user_authentication_failed(),
    ] {
        let event = sample.to_event();

        assert_eq!(
            event.ip_address.as_deref(),
            Some("203.0.113.7"),
            "{}",
            event.event_type
        );
    }
}

#[test]
fn default_source_is_admin() {
    assert_eq!(samples::user_created().to_event().source, Source::Admin);
}

#[test]
fn arbitrary_event_keeps_type_and_data() {
    let payload = samples::event("organization.user.added", json!({"n": 1})).to_json();

    assert_eq!(payload["type"], "organization.user.added");
    assert_eq!(payload["data"], json!({"n": 1}));
}

#[test]
fn sample_serializes_as_its_json() {
    let sample = samples::role_deleted();

    assert_eq!(serde_json::to_value(&sample).unwrap(), sample.to_json());
}

#[test]
fn sample_converts_into_json() {
    let sample = samples::permission_deleted();
    let expected = sample.to_json();

    assert_eq!(Value::from(sample), expected);
}

#[test]
fn every_type_has_sample() {
    for event_type in EventType::ALL {
        let payload = samples::of_type(event_type).to_json();

        assert_eq!(payload["type"], event_type.as_str());
    }
}

#[test]
#[should_panic(expected = "sample event has an unusable envelope")]
fn unusable_envelope_panics_in_to_event() {
    samples::user_created()
        .with_envelope(|envelope| {
            envelope.as_object_mut().unwrap().remove("type");
        })
        .to_event();
}
