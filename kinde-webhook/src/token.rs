//! Splitting a compact JWS and reading its header before any key is looked up.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::algorithm::Algorithm;
use crate::error::{Error, ErrorKind, quote};

/// A compact JWS split into its parts, with the header read and the payload
/// and signature decoded. Nothing here is verified yet.
pub(crate) struct UnverifiedToken<'a> {
    /// `base64url(header) "." base64url(payload)`: the bytes the signature covers.
    pub(crate) signing_input: &'a [u8],
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

/// The header fields this crate reads. `alg` stays a plain string so that
/// `"none"` or `"HS256"` is an authentication failure rather than a parse error.
#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    kid: Option<String>,
}

impl<'a> UnverifiedToken<'a> {
    /// Splits `token` (already trimmed) into three non-empty base64url segments
    /// and reads the header's `alg` and `kid`.
    pub(crate) fn parse(token: &'a [u8], allowed: &[Algorithm]) -> Result<Self, Error> {
        if token.is_empty() {
            return Err(malformed(
                "the request body is empty; Kinde sends the webhook as a JWT in the body",
            ));
        }

        let [header, payload, signature] = split_segments(token)?;
        let signing_input = &token[..header.len() + 1 + payload.len()];

        // The header is read before the other segments are checked, so that an
        // `alg: none` token (whose signature is empty) fails as a disallowed algorithm.
        require_non_empty(header, "header")?;
        let header: Header =
            serde_json::from_slice(&decode_segment(header, "header")?).map_err(|error| {
                malformed(format!("the token header is not a JSON object: {error}"))
            })?;
        let kid = header.kid.filter(|kid| !kid.is_empty());
        let algorithm =
            read_algorithm(header.alg.as_deref(), allowed).map_err(|error| match &kid {
                Some(kid) => error.with_kid(kid),
                None => error,
            })?;
        let kid = kid.ok_or_else(|| {
            Error::new(
                ErrorKind::MissingKid,
                "the token header has no kid, so no JWKS key can be chosen",
            )
        })?;

        let payload = require_non_empty(payload, "payload")
            .and_then(|payload| decode_segment(payload, "payload"))
            .map_err(|error| error.with_kid(&kid))?;
        let signature = require_non_empty(signature, "signature")
            .and_then(|signature| decode_segment(signature, "signature"))
            .map_err(|error| error.with_kid(&kid))?;

        Ok(Self {
            signing_input,
            algorithm,
            kid,
            payload,
            signature,
        })
    }
}

fn split_segments(token: &[u8]) -> Result<[&[u8]; 3], Error> {
    let mut segments = token.split(|byte| *byte == b'.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        let count = token.split(|byte| *byte == b'.').count();
        return Err(malformed(format!(
            "the body is not a compact JWT: expected 3 dot-separated segments, found {count}"
        )));
    };
    Ok([header, payload, signature])
}

fn require_non_empty<'a>(segment: &'a [u8], name: &str) -> Result<&'a [u8], Error> {
    if segment.is_empty() {
        return Err(malformed(format!("the token's {name} segment is empty")));
    }
    Ok(segment)
}

fn decode_segment(segment: &[u8], name: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|error| {
        malformed(format!(
            "the token's {name} segment is not unpadded base64url: {error}"
        ))
    })
}

fn read_algorithm(alg: Option<&str>, allowed: &[Algorithm]) -> Result<Algorithm, Error> {
    let name = alg.ok_or_else(|| {
        Error::new(
            ErrorKind::DisallowedAlgorithm,
            "the token header has no alg",
        )
    })?;
    let algorithm = name.parse::<Algorithm>()?;

    if !allowed.contains(&algorithm) {
        let allowed: Vec<&str> = allowed.iter().map(|algorithm| algorithm.as_str()).collect();
        return Err(Error::new(
            ErrorKind::DisallowedAlgorithm,
            format!(
                "the token's algorithm {} is not in the allow-list [{}]",
                quote(name),
                allowed.join(", ")
            ),
        ));
    }
    Ok(algorithm)
}

fn malformed(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedToken, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[Algorithm] = &[Algorithm::RS256];

    fn token(header: &str, payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    fn kind_of(token: &str) -> ErrorKind {
        UnverifiedToken::parse(token.as_bytes(), ALLOWED)
            .err()
            .unwrap()
            .kind()
    }

    #[test]
    fn parse_reads_alg_kid_and_signing_input() {
        let token = token(r#"{"alg":"RS256","kid":"4c:fa"}"#, "{}");
        let parsed = UnverifiedToken::parse(token.as_bytes(), ALLOWED).unwrap();

        assert_eq!(parsed.algorithm, Algorithm::RS256);
        assert_eq!(parsed.kid, "4c:fa");
        assert_eq!(parsed.payload, b"{}");
        assert_eq!(
            parsed.signing_input,
            &token.as_bytes()[..token.rfind('.').unwrap()]
        );
    }

    #[test]
    fn disallowed_algorithm_keeps_the_kid() {
        let token = token(r#"{"alg":"HS256","kid":"4c:fa"}"#, "{}");
        let error = UnverifiedToken::parse(token.as_bytes(), ALLOWED)
            .err()
            .unwrap();

        assert_eq!(error.kind(), ErrorKind::DisallowedAlgorithm);
        assert_eq!(error.kid(), Some("4c:fa"));
    }

    #[test]
    fn parse_rejects_each_malformation() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#);
        let cases = [
            (String::new(), ErrorKind::MalformedToken),
            ("a.b".to_owned(), ErrorKind::MalformedToken),
            ("a.b.c.d".to_owned(), ErrorKind::MalformedToken),
            (format!("{header}..c2ln"), ErrorKind::MalformedToken),
            (format!("{header}.e30."), ErrorKind::MalformedToken),
            (format!("{header}.e30.c2ln="), ErrorKind::MalformedToken),
            (format!("{header}.e3!0.c2ln"), ErrorKind::MalformedToken),
            ("bm90IGpzb24.e30.c2ln".to_owned(), ErrorKind::MalformedToken),
            (
                token(r#"{"alg":"none","kid":"k"}"#, "{}"),
                ErrorKind::DisallowedAlgorithm,
            ),
            (
                format!("{}.e30.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#)),
                ErrorKind::DisallowedAlgorithm,
            ),
            (".e30.c2ln".to_owned(), ErrorKind::MalformedToken),
            (
                token(r#"{"alg":"HS256","kid":"k"}"#, "{}"),
                ErrorKind::DisallowedAlgorithm,
            ),
            (
                token(r#"{"alg":"RS512","kid":"k"}"#, "{}"),
                ErrorKind::DisallowedAlgorithm,
            ),
            (
                token(r#"{"kid":"k"}"#, "{}"),
                ErrorKind::DisallowedAlgorithm,
            ),
            (token(r#"{"alg":"RS256"}"#, "{}"), ErrorKind::MissingKid),
            (
                token(r#"{"alg":"RS256","kid":""}"#, "{}"),
                ErrorKind::MissingKid,
            ),
        ];

        for (token, expected) in cases {
            assert_eq!(kind_of(&token), expected, "{token}");
        }
    }
}
