//! The [`Verifier`]: checks a webhook body against Kinde's keys and returns the event.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::algorithm::{Algorithm, CRYPTO_PROVIDER};
use crate::claims::ClaimRules;
use crate::error::{Error, ErrorKind, quote};
use crate::event::Event;
use crate::jwks::{JwksCache, JwksState};
use crate::keys::{KeySet, VerificationKey};
use crate::token::UnverifiedToken;

mod builder;

pub use builder::{DEFAULT_JWKS_PATH, VerifierBuilder};

/// The default limit on the size of a webhook body: 256 KiB.
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 256 * 1024;

/// Verifies Kinde webhook tokens and parses them into [`Event`]s.
///
/// Cheap to clone: clones share one JWKS cache, so build one verifier per
/// Kinde business and hand clones to every worker.
///
/// ```no_run
/// # async fn example(body: &[u8]) -> Result<(), kinde_webhook::Error> {
/// use kinde_webhook::Verifier;
///
/// let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
/// let event = verifier.verify(body).await?;
/// println!("{} {}", event.event_type, event.event_id);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    keys: KeySource,
    allowed_algorithms: Vec<Algorithm>,
    claim_rules: ClaimRules,
    max_token_size: usize,
}

enum KeySource {
    Fixed(KeySet),
    Jwks(Arc<JwksCache>),
}

/// A token whose signature and claims passed, with its payload kept as JSON.
///
/// Returned by [`Verifier::verify_payload`] for receivers that store the
/// payload first and parse it later. [`VerifiedPayload::parse`] turns it into
/// an [`Event`].
#[derive(Debug, Clone)]
pub struct VerifiedPayload {
    kid: String,
    algorithm: Algorithm,
    bytes: Vec<u8>,
    claims: Map<String, Value>,
}

impl VerifiedPayload {
    /// Returns the `kid` of the key that signed the token.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the algorithm the token was signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Returns the payload exactly as signed: the JSON bytes of the event.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Returns the payload as a JSON object.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Parses the payload into an [`Event`]. Fails with
    /// [`ErrorKind::InvalidEvent`] only when the envelope is unusable; data of
    /// an unexpected shape is kept as raw JSON instead.
    pub fn parse(self) -> Result<Event, Error> {
        let kid = self.kid;
        Event::from_value(Value::Object(self.claims)).map_err(|error| {
            Error::new(
                ErrorKind::InvalidEvent,
                format!("the verified payload is not a Kinde event: {error}"),
            )
            .with_kid(&kid)
        })
    }
}

impl Verifier {
    /// Starts building a verifier for a Kinde business domain, the value of
    /// `KINDE_ISSUER_URL` such as `https://yourbiz.kinde.com`. Keys are fetched
    /// from `{issuer}/.well-known/jwks.json` when first needed.
    pub fn builder(issuer_url: impl Into<String>) -> VerifierBuilder {
        VerifierBuilder::for_issuer(issuer_url.into())
    }

    /// Starts building a verifier that uses the keys of a fixed JWKS document
    /// and never fetches, for tests and air-gapped deployments. The document is
    /// parsed by [`VerifierBuilder::build`].
    pub fn builder_with_jwks(jwks_json: impl Into<Vec<u8>>) -> VerifierBuilder {
        VerifierBuilder::for_fixed_jwks(jwks_json.into())
    }

    fn from_parts(
        keys: KeySource,
        allowed_algorithms: Vec<Algorithm>,
        claim_rules: ClaimRules,
        max_token_size: usize,
    ) -> Self {
        let inner = Inner {
            keys,
            allowed_algorithms,
            claim_rules,
            max_token_size,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Verifies a webhook body and parses it into an [`Event`].
    ///
    /// The body is the compact JWT Kinde POSTs, with any surrounding ASCII
    /// whitespace. Steps: size limit, three base64url segments, `alg` in the
    /// allow-list, `kid` present, key found (fetching the JWKS if needed),
    /// signature over the exact received bytes, claim rules, then the event
    /// envelope. Each failure has its own [`ErrorKind`].
    pub async fn verify(&self, body: &[u8]) -> Result<Event, Error> {
        self.verify_payload(body).await?.parse()
    }

    /// Verifies a webhook body without parsing the event: the signature and
    /// claim rules are checked, and the payload is returned as JSON.
    pub async fn verify_payload(&self, body: &[u8]) -> Result<VerifiedPayload, Error> {
        if body.len() > self.inner.max_token_size {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                format!(
                    "the body is {} bytes, over the {}-byte token size limit",
                    body.len(),
                    self.inner.max_token_size
                ),
            ));
        }

        let token = UnverifiedToken::parse(body.trim_ascii(), &self.inner.allowed_algorithms)?;
        let key = self.key(&token.kid).await?;
        check_signature(&token, &key)?;

        let claims = parse_claims(&token.payload).map_err(|error| error.with_kid(&token.kid))?;
        self.inner
            .claim_rules
            .check(&claims, SystemTime::now())
            .map_err(|error| error.with_kid(&token.kid))?;

        Ok(VerifiedPayload {
            kid: token.kid,
            algorithm: token.algorithm,
            bytes: token.payload,
            claims,
        })
    }

    async fn key(&self, kid: &str) -> Result<Arc<VerificationKey>, Error> {
        match &self.inner.keys {
            KeySource::Jwks(cache) => cache.key(kid).await,
            KeySource::Fixed(keys) => keys.get(kid).cloned().ok_or_else(|| {
                Error::new(
                    ErrorKind::UnknownKid,
                    format!(
                        "no key with kid {} is in the verifier's fixed key set",
                        quote(kid)
                    ),
                )
                .with_kid(kid)
            }),
        }
    }

    /// Fetches the JWKS now, so the first webhook does not wait for it.
    ///
    /// Optional: without it the first verification fetches. A failure is
    /// returned for logging but changes nothing else; the next verification
    /// tries again (after the refetch cooldown). Does nothing for a verifier
    /// with a fixed key set.
    pub async fn prefetch(&self) -> Result<(), Error> {
        match &self.inner.keys {
            KeySource::Jwks(cache) => cache.prefetch().await,
            KeySource::Fixed(_) => Ok(()),
        }
    }

    /// Returns whether usable keys are cached. A fixed key set is always fresh.
    pub fn jwks_state(&self) -> JwksState {
        match &self.inner.keys {
            KeySource::Jwks(cache) => cache.state(),
            KeySource::Fixed(_) => JwksState::Fresh,
        }
    }

    /// Returns the JWKS URL, or `None` for a verifier with a fixed key set.
    pub fn jwks_url(&self) -> Option<&str> {
        match &self.inner.keys {
            KeySource::Jwks(cache) => Some(cache.url()),
            KeySource::Fixed(_) => None,
        }
    }

    /// Returns the largest body, in bytes, that [`Verifier::verify`] accepts.
    /// Framework integrations enforce it while reading the request body.
    pub fn max_token_size(&self) -> usize {
        self.inner.max_token_size
    }

    /// Returns the algorithms this verifier accepts.
    pub fn allowed_algorithms(&self) -> &[Algorithm] {
        &self.inner.allowed_algorithms
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("jwks_url", &self.jwks_url())
            .field("allowed_algorithms", &self.inner.allowed_algorithms)
            .field("max_token_size", &self.inner.max_token_size)
            .finish_non_exhaustive()
    }
}

fn check_signature(token: &UnverifiedToken<'_>, key: &VerificationKey) -> Result<(), Error> {
    if key
        .algorithm
        .is_some_and(|algorithm| algorithm != token.algorithm)
    {
        return Err(Error::new(
            ErrorKind::DisallowedAlgorithm,
            format!(
                "the token is signed with {} but key {} is published for another algorithm",
                token.algorithm,
                quote(&token.kid)
            ),
        )
        .with_kid(&token.kid));
    }

    let invalid = || {
        Error::new(
            ErrorKind::InvalidSignature,
            format!(
                "the token's signature does not match JWKS key {}",
                quote(&token.kid)
            ),
        )
        .with_kid(&token.kid)
    };
    let verifier =
        (CRYPTO_PROVIDER.verifier_factory)(&token.algorithm.to_jsonwebtoken(), &key.decoding_key)
            .map_err(|_| invalid())?;
    verifier
        .verify(token.signing_input, &token.signature)
        .map_err(|_| invalid())
}

fn parse_claims(payload: &[u8]) -> Result<Map<String, Value>, Error> {
    match serde_json::from_slice(payload) {
        Ok(Value::Object(claims)) => Ok(claims),
        Ok(_) => Err(Error::new(
            ErrorKind::MalformedToken,
            "the token payload is JSON but not an object",
        )),
        Err(error) => Err(Error::new(
            ErrorKind::MalformedToken,
            format!("the token payload is not JSON: {error}"),
        )),
    }
}

/// The default leeway for `exp` and `nbf`.
pub(crate) const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
