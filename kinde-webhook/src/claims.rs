//! Claim rules for a verified payload.
//!
//! Kinde's webhook payload has no `iss`, `aud`, `exp`, `iat`, `nbf` or `sub`, so
//! no claim is required. `exp` and `nbf` are checked only when present, and a
//! payload carrying `aud` is rejected because it was meant for some other
//! receiver (Kinde never sends one).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};

/// The rules applied to the payload of a token whose signature is valid.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRules {
    pub(crate) leeway: Duration,
    pub(crate) max_event_age: Option<Duration>,
}

impl ClaimRules {
    pub(crate) fn check(&self, claims: &Map<String, Value>, now: SystemTime) -> Result<(), Error> {
        if claims.contains_key("aud") {
            return Err(rejected(
                "the token has an aud claim; Kinde webhooks carry none, so this token was issued for another receiver",
            ));
        }

        let now_secs = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let leeway = self.leeway.as_secs_f64();
        if let Some(exp) = claims.get("exp") {
            let exp = numeric_date(exp, "exp")?;
            if now_secs > exp + leeway {
                return Err(rejected(format!("the token expired at {exp} (Unix time)")));
            }
        }
        if let Some(nbf) = claims.get("nbf") {
            let nbf = numeric_date(nbf, "nbf")?;
            if now_secs + leeway < nbf {
                return Err(rejected(format!(
                    "the token is not valid before {nbf} (Unix time)"
                )));
            }
        }

        if let Some(max_age) = self.max_event_age {
            check_event_age(claims, max_age, now)?;
        }
        Ok(())
    }
}

fn numeric_date(value: &Value, name: &str) -> Result<f64, Error> {
    value.as_f64().ok_or_else(|| {
        rejected(format!(
            "the token's {name} claim is not a number of seconds"
        ))
    })
}

fn check_event_age(
    claims: &Map<String, Value>,
    max_age: Duration,
    now: SystemTime,
) -> Result<(), Error> {
    let raw = claims
        .get("timestamp")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let timestamp =
        time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                rejected(format!(
                    "the event timestamp {raw:?} is not RFC 3339, so its age cannot be checked"
                ))
            },
        )?;

    let now = time::OffsetDateTime::from(now);
    let age = now - timestamp;
    if age > max_age {
        return Err(rejected(format!(
            "the event timestamp {raw} is {} s old, over the configured maximum event age of {} s",
            age.whole_seconds(),
            max_age.as_secs()
        )));
    }
    Ok(())
}

fn rejected(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::RejectedClaim, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_714_550_000;

    fn rules(max_event_age: Option<Duration>) -> ClaimRules {
        ClaimRules {
            leeway: Duration::from_secs(60),
            max_event_age,
        }
    }

    fn check(rules: &ClaimRules, claims: Value) -> Result<(), Error> {
        let now = UNIX_EPOCH + Duration::from_secs(NOW);
        rules.check(claims.as_object().unwrap(), now)
    }

    #[test]
    fn no_claim_is_required() {
        assert!(check(&rules(None), serde_json::json!({})).is_ok());
    }

    #[test]
    fn exp_and_nbf_use_leeway() {
        let rules = rules(None);

        assert!(check(&rules, serde_json::json!({ "exp": NOW - 30 })).is_ok());
        assert!(check(&rules, serde_json::json!({ "exp": NOW - 61 })).is_err());
        assert!(check(&rules, serde_json::json!({ "nbf": NOW + 30 })).is_ok());
        assert!(check(&rules, serde_json::json!({ "nbf": NOW + 61 })).is_err());
        assert!(check(&rules, serde_json::json!({ "exp": "tomorrow" })).is_err());
    }

    #[test]
    fn aud_is_rejected() {
        let error = check(&rules(None), serde_json::json!({ "aud": "someone" })).unwrap_err();

        assert_eq!(error.kind(), ErrorKind::RejectedClaim);
    }

    #[test]
    fn max_event_age_checks_timestamp() {
        let rules = rules(Some(Duration::from_secs(3600)));
        // 2024-05-01T07:53:20Z is NOW; the offset form below is 10 minutes earlier.
        let recent = serde_json::json!({ "timestamp": "2024-05-01T17:43:20.592145+10:00" });
        let old = serde_json::json!({ "timestamp": "2024-04-30T07:53:20Z" });
        let unparsable = serde_json::json!({ "timestamp": "yesterday" });

        assert!(check(&rules, recent).is_ok());
        assert_eq!(
            check(&rules, old).unwrap_err().kind(),
            ErrorKind::RejectedClaim
        );
        assert_eq!(
            check(&rules, unparsable).unwrap_err().kind(),
            ErrorKind::RejectedClaim
        );
    }
}
