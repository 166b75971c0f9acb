//! Parsing the wait that Mailgun requests before the next attempt.
//!
//! Mailgun documents no header for this. Its 429 and 420 bodies say "try
//! again after 120 seconds" or "try again after Mon, 20 Dec 2021 20:33:21
//! UTC", and some responses carry `X-RateLimit-Reset` (Unix seconds, read the
//! same way by mailgun-go v5). A standard `Retry-After` header is read first
//! in case a proxy or a future API version sends one. The body comes before
//! `X-RateLimit-Reset` because the body is the form Mailgun documents.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

const RATE_LIMIT_RESET: &str = "x-ratelimit-reset";
const TRY_AGAIN_AFTER: &str = "try again after ";

/// Returns the wait requested by `Retry-After`, then the body's "try again
/// after …" text, then `X-RateLimit-Reset`, whichever is present and valid
/// first. A time that has already passed counts as no request.
pub(crate) fn requested_wait(
    headers: &HeaderMap,
    body: &str,
    now: OffsetDateTime,
) -> Option<Duration> {
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());

    header(RETRY_AFTER.as_str())
        .and_then(|value| parse_retry_after(value, now))
        .or_else(|| parse_try_again_after(body, now))
        .or_else(|| header(RATE_LIMIT_RESET).and_then(|value| parse_rate_limit_reset(value, now)))
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date.
fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    wait_until(parse_date(value)?, now)
}

/// Parses `X-RateLimit-Reset`: the reset time in (possibly fractional) Unix
/// seconds.
fn parse_rate_limit_reset(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if !seconds.is_finite() {
        return None;
    }
    // Whole milliseconds: an f64 cannot hold Unix time in nanoseconds exactly.
    // The cast saturates, so a huge value must not overflow the multiplication.
    let millis = (seconds * 1000.0).round() as i128;
    let reset = OffsetDateTime::from_unix_timestamp_nanos(millis.checked_mul(1_000_000)?).ok()?;
    wait_until(reset, now)
}

/// Parses the wait out of a body such as "…limit exceeded, try again after
/// 120 seconds" or "…, try again after Mon, 20 Dec 2021 20:33:21 UTC", raw or
/// inside Mailgun's JSON `message`.
fn parse_try_again_after(body: &str, now: OffsetDateTime) -> Option<Duration> {
    let start = body.to_ascii_lowercase().find(TRY_AGAIN_AFTER)? + TRY_AGAIN_AFTER.len();
    let rest = &body[start..];
    let phrase = rest
        .split(['"', '\n'])
        .next()
        .unwrap_or(rest)
        .trim()
        .trim_end_matches('.');

    if let Some(seconds) = leading_seconds(phrase) {
        return Some(seconds);
    }
    wait_until(parse_date(phrase)?, now)
}

/// Parses "120 seconds", "1 second" or "1.5 seconds".
fn leading_seconds(phrase: &str) -> Option<Duration> {
    let (number, unit) = phrase.split_once(' ')?;
    if !unit.to_ascii_lowercase().starts_with("second") {
        return None;
    }
    Duration::try_from_secs_f64(number.parse().ok()?).ok()
}

/// Parses an RFC 2822 date, also accepting the zone names `UTC` and `GMT`
/// (which Mailgun's bodies and HTTP dates use but the `time` crate's RFC 2822
/// parser does not take in every position).
fn parse_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    let numeric_zone;
    let text = match text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix(" GMT"))
    {
        Some(without_zone) => {
            numeric_zone = format!("{without_zone} +0000");
            numeric_zone.as_str()
        }
        None => text,
    };
    OffsetDateTime::parse(text, &Rfc2822).ok()
}

fn wait_until(at: OffsetDateTime, now: OffsetDateTime) -> Option<Duration> {
    let wait = at - now;
    if wait.is_positive() {
        Duration::try_from(wait).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2021-12-20 20:33:01 UTC);

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn body_seconds() {
        let body = r#"{"message": "Domain mg.example.com is not allowed to send: account-requests-per-sec limit exceeded, try again after 120 seconds"}"#;
        assert_eq!(
            requested_wait(&HeaderMap::new(), body, NOW),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn body_one_seconds() {
        let body = "request limit exceeded, try again after 1 seconds";
        assert_eq!(
            requested_wait(&HeaderMap::new(), body, NOW),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn body_rfc_2822_date_in_utc() {
        let body = r#"{"message": "Domain mg.example.com is not allowed to send: recipient limit exceeded, try again after Mon, 20 Dec 2021 20:33:21 UTC"}"#;
        assert_eq!(
            requested_wait(&HeaderMap::new(), body, NOW),
            Some(Duration::from_secs(20))
        );
    }

    #[test]
    fn body_date_in_past_gives_none() {
        let body = "try again after Mon, 20 Dec 2021 20:00:00 UTC";
        assert_eq!(requested_wait(&HeaderMap::new(), body, NOW), None);
    }

    #[test]
    fn body_without_phrase_gives_none() {
        assert_eq!(requested_wait(&HeaderMap::new(), "Forbidden", NOW), None);
    }

    #[test]
    fn retry_after_seconds_wins_over_body() {
        let map = headers(&[("retry-after", "3")]);
        let body = "try again after 120 seconds";
        assert_eq!(
            requested_wait(&map, body, NOW),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn retry_after_http_date() {
        let map = headers(&[("retry-after", "Mon, 20 Dec 2021 20:33:11 GMT")]);
        assert_eq!(requested_wait(&map, "", NOW), Some(Duration::from_secs(10)));
    }

    #[test]
    fn rate_limit_reset_float_seconds() {
        // 2021-12-20 20:33:01 UTC is Unix time 1640032381.
        let map = headers(&[("x-ratelimit-reset", "1640032383.5")]);
        assert_eq!(
            requested_wait(&map, "", NOW),
            Some(Duration::from_millis(2500))
        );
    }

    #[test]
    fn body_wins_over_rate_limit_reset() {
        // The reset is 100 s after NOW, and the body requests 7 s.
        let map = headers(&[("x-ratelimit-reset", "1640032481")]);
        let body = "try again after 7 seconds";
        assert_eq!(
            requested_wait(&map, body, NOW),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn rate_limit_reset_out_of_range_gives_none() {
        for value in ["1e30", "1e300", "-1e300", "1e15"] {
            let map = headers(&[("x-ratelimit-reset", value)]);
            assert_eq!(requested_wait(&map, "", NOW), None, "{value}");
        }
    }

    #[test]
    fn invalid_retry_after_falls_back_to_body() {
        let map = headers(&[("retry-after", "soon")]);
        let body = "try again after 7 seconds";
        assert_eq!(
            requested_wait(&map, body, NOW),
            Some(Duration::from_secs(7))
        );
    }
}
