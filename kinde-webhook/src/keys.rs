//! Parsing a JWKS document into ready decoding keys indexed by `kid`.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use crate::algorithm::Algorithm;
use crate::error::{Error, ErrorKind, quote};

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// One RSA public key from the JWKS, parsed once and ready to verify with.
#[derive(Clone)]
pub(crate) struct VerificationKey {
    pub(crate) algorithm: Option<Algorithm>,
    pub(crate) decoding_key: DecodingKey,
}

/// The usable keys of one JWKS document, indexed by `kid`.
#[derive(Clone, Default)]
pub(crate) struct KeySet {
    keys: HashMap<String, Arc<VerificationKey>>,
}

/// The fields of a JWK that this crate reads; others are ignored.
#[derive(Deserialize)]
struct RawJwk {
    kid: Option<String>,
    kty: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

impl KeySet {
    /// Parses a JWKS document, keeping the RSA signing keys of at least 2048
    /// bits whose `alg` (when present) is allowed. Other keys are skipped with
    /// a warning. Fails when the document is not a JWKS or no key is usable.
    pub(crate) fn parse(
        document: &[u8],
        allowed: &[Algorithm],
        origin: &str,
    ) -> Result<Self, Error> {
        let raw: RawJwks = serde_json::from_slice(document).map_err(|error| {
            Error::new(
                ErrorKind::JwksUnavailable,
                format!(
                    "the response is not a JWKS (a JSON object with a \"keys\" array): {error}"
                ),
            )
        })?;

        let mut keys = HashMap::new();
        for value in raw.keys {
            match parse_key(value, allowed) {
                Ok((kid, key)) => {
                    if keys.contains_key(&kid) {
                        tracing::warn!(kid = %kid, jwks = %origin, "skipped a JWKS key whose kid repeats an earlier key");
                        continue;
                    }
                    keys.insert(kid, Arc::new(key));
                }
                Err(reason) => {
                    tracing::warn!(jwks = %origin, reason = %reason, "skipped an unusable JWKS key");
                }
            }
        }

        if keys.is_empty() {
            return Err(Error::new(
                ErrorKind::JwksUnavailable,
                format!(
                    "the JWKS contains no usable RSA signing key of at least {MIN_RSA_BITS} bits"
                ),
            ));
        }
        Ok(Self { keys })
    }

    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<VerificationKey>> {
        self.keys.get(kid)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

fn parse_key(
    value: serde_json::Value,
    allowed: &[Algorithm],
) -> Result<(String, VerificationKey), String> {
    let jwk: RawJwk =
        serde_json::from_value(value).map_err(|error| format!("not a JWK: {error}"))?;

    let kid = jwk
        .kid
        .filter(|kid| !kid.is_empty())
        .ok_or("it has no kid")?;
    if jwk.kty.as_deref() != Some("RSA") {
        return Err(format!(
            "key {} is not an RSA key (kty {:?})",
            quote(&kid),
            jwk.kty
        ));
    }
    if let Some(key_use) = jwk.key_use.as_deref().filter(|key_use| *key_use != "sig") {
        return Err(format!(
            "key {} is not for signing (use {})",
            quote(&kid),
            quote(key_use)
        ));
    }

    let algorithm = match jwk.alg.as_deref() {
        None => None,
        Some(name) => match name.parse::<Algorithm>() {
            Ok(algorithm) if allowed.contains(&algorithm) => Some(algorithm),
            _ => {
                return Err(format!(
                    "key {} is for algorithm {}, which is not allowed",
                    quote(&kid),
                    quote(name)
                ));
            }
        },
    };

    let modulus = decode_component(jwk.n.as_deref(), "n", &kid)?;
    let exponent = decode_component(jwk.e.as_deref(), "e", &kid)?;
    let bits = modulus_bits(&modulus);
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "key {} has a {bits}-bit modulus, under the minimum of {MIN_RSA_BITS}",
            quote(&kid)
        ));
    }

    let decoding_key = DecodingKey::from_rsa_raw_components(&modulus, &exponent);
    Ok((
        kid,
        VerificationKey {
            algorithm,
            decoding_key,
        },
    ))
}

fn decode_component(value: Option<&str>, name: &str, kid: &str) -> Result<Vec<u8>, String> {
    let value = value.ok_or_else(|| format!("key {} has no {name}", quote(kid)))?;
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|error| {
            format!(
                "key {} has an {name} that is not base64url: {error}",
                quote(kid)
            )
        })
}

/// Counts the bits of a big-endian unsigned integer, ignoring leading zero bytes.
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant: &[u8] = match modulus.iter().position(|byte| *byte != 0) {
        Some(start) => &modulus[start..],
        None => return 0,
    };
    significant.len() * 8 - significant[0].leading_zeros() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[Algorithm] = &[Algorithm::RS256];

    fn rsa_jwk(kid: &str, modulus_bytes: usize) -> serde_json::Value {
        let mut modulus = vec![0xC5; modulus_bytes];
        modulus[0] = 0x80;
        serde_json::json!({
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(&modulus), "e": "AQAB",
        })
    }

    fn parse(keys: Vec<serde_json::Value>) -> Result<KeySet, Error> {
        let document = serde_json::json!({ "keys": keys }).to_string();
        KeySet::parse(document.as_bytes(), ALLOWED, "test")
    }

    #[test]
    fn modulus_bits_ignores_leading_zeros() {
        assert_eq!(modulus_bits(&[0, 0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0x01]), 1);
        assert_eq!(modulus_bits(&[0, 0]), 0);
    }

    #[test]
    fn parse_keeps_usable_and_skips_others() {
        let mut no_alg = rsa_jwk("no-alg", 256);
        no_alg.as_object_mut().unwrap().remove("alg");
        no_alg.as_object_mut().unwrap().remove("use");
        let mut encryption = rsa_jwk("enc", 256);
        encryption["use"] = "enc".into();
        let mut other_alg = rsa_jwk("rs512", 256);
        other_alg["alg"] = "RS512".into();
        let mut elliptic = rsa_jwk("ec", 256);
        elliptic["kty"] = "EC".into();

        let set = parse(vec![
            rsa_jwk("good", 256),
            no_alg,
            encryption,
            other_alg,
            elliptic,
            rsa_jwk("weak", 128),
            serde_json::json!("not an object"),
        ])
        .unwrap();

        assert_eq!(set.len(), 2);
        assert!(set.get("good").is_some());
        assert!(set.get("no-alg").is_some());
    }

    #[test]
    fn parse_fails_without_usable_key() {
        let error = parse(vec![rsa_jwk("weak", 128)]).err().unwrap();

        assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
        assert!(
            error.message().contains("no usable RSA signing key"),
            "{error}"
        );
    }

    #[test]
    fn parse_fails_on_non_jwks() {
        let error = KeySet::parse(b"[1, 2]", ALLOWED, "test").err().unwrap();

        assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    }
}
