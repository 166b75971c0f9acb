//! RSA signing keys for tests: fixed ones shipped with the crate, or new ones on request.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::EncodingKey;
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _, EncodeRsaPublicKey as _};
use rsa::traits::PublicKeyParts as _;
use serde::Serialize;
use serde_json::{Value, json};

use crate::Algorithm;
use crate::algorithm::CRYPTO_PROVIDER;

// TEST-ONLY KEYS. These private keys are published with the crate so tests do
// not spend seconds generating RSA keys in debug builds. Never trust them.
const PRIMARY_DER: &[u8] = include_bytes!("keys/primary.der");
const ROTATED_DER: &[u8] = include_bytes!("keys/rotated.der");
const IMPOSTOR_DER: &[u8] = include_bytes!("keys/impostor.der");
const WEAK_1024_DER: &[u8] = include_bytes!("keys/weak-1024.der");

const PRIMARY_KID: &str = "4c:fa:9e:7d:31:a2:0b:58:c6:e4:12:8f:93:d7:05:6a";
const ROTATED_KID: &str = "a1:07:3e:c9:58:24:fb:90:6d:e2:41:7a:0c:b5:83:1f";
const WEAK_KID: &str = "0e:33:8a:41:d5:67:b2:c0:19:fe:24:6b:90:a7:d3:58";

/// An RSA key pair with a `kid`, for signing test webhooks and publishing the
/// public half in a test JWKS.
///
/// The fixed keys ([`TestKey::primary`] and friends) are **test-only**: their
/// private halves are public. Cheap to clone.
#[derive(Clone)]
pub struct TestKey {
    kid: String,
    parts: Arc<KeyParts>,
}

struct KeyParts {
    private_der: Vec<u8>,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    public_der: Vec<u8>,
}

impl TestKey {
    /// The fixed 2048-bit key a [`TestIssuer`](super::TestIssuer) serves by default.
    pub fn primary() -> Self {
        static PARTS: OnceLock<Arc<KeyParts>> = OnceLock::new();
        Self::fixed(&PARTS, PRIMARY_DER, PRIMARY_KID)
    }

    /// A second fixed 2048-bit key with its own `kid`, for key rotation tests.
    pub fn rotated() -> Self {
        static PARTS: OnceLock<Arc<KeyParts>> = OnceLock::new();
        Self::fixed(&PARTS, ROTATED_DER, ROTATED_KID)
    }

    /// A fixed 2048-bit key that claims the primary key's `kid`: tokens it
    /// signs must fail with an invalid signature.
    pub fn impostor() -> Self {
        static PARTS: OnceLock<Arc<KeyParts>> = OnceLock::new();
        Self::fixed(&PARTS, IMPOSTOR_DER, PRIMARY_KID)
    }

    /// A fixed 1024-bit key, under the verifier's minimum, which a JWKS
    /// parse must skip. Publish it, but do not sign with it: aws-lc-rs
    /// refuses to sign with keys under 2048 bits.
    pub fn weak_1024() -> Self {
        static PARTS: OnceLock<Arc<KeyParts>> = OnceLock::new();
        Self::fixed(&PARTS, WEAK_1024_DER, WEAK_KID)
    }

    /// Generates a new 2048-bit key with a `kid` derived from its modulus.
    /// Takes about a second even with the crate's optimised dev profile.
    pub fn generate() -> Self {
        use rsa::Generate as _;

        let private_key = rsa::PrivateKey::generate();
        let private_der = private_key
            .to_pkcs1_der()
            .expect("a freshly generated RSA key encodes as PKCS#1")
            .as_bytes()
            .to_vec();
        let parts = Arc::new(KeyParts::from_private_der(&private_der));
        let kid = colon_hex(&parts.modulus[parts.modulus.len() - 16..]);
        Self { kid, parts }
    }

    fn fixed(cell: &'static OnceLock<Arc<KeyParts>>, der: &[u8], kid: &str) -> Self {
        let parts = cell.get_or_init(|| Arc::new(KeyParts::from_private_der(der)));
        Self {
            kid: kid.to_owned(),
            parts: Arc::clone(parts),
        }
    }

    /// Returns the same key under another `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// Returns the key's `kid`, in Kinde's colon-separated hex form for the fixed keys.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the public key as a JWK, shaped like Kinde's:
    /// `{kty, use, alg, kid, n, e}`.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.parts.modulus),
            "e": URL_SAFE_NO_PAD.encode(&self.parts.exponent),
        })
    }

    /// Returns the public key as PKCS#1 DER, the bytes an HMAC key-confusion
    /// attack would use as its secret.
    pub fn public_key_der(&self) -> &[u8] {
        &self.parts.public_der
    }

    /// Signs a payload the way Kinde does: RS256, with this key's `kid` in the
    /// header. Returns the compact JWT.
    pub fn sign(&self, payload: &impl Serialize) -> String {
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": self.kid });
        let payload = serde_json::to_vec(payload).expect("the payload serializes to JSON");
        self.sign_raw(Algorithm::RS256, &header, &payload)
    }

    /// Signs any header and payload bytes with this key and `algorithm`,
    /// for tests of unusual tokens. The header is used as given.
    pub fn sign_raw(&self, algorithm: Algorithm, header: &Value, payload: &[u8]) -> String {
        let encoding_key = EncodingKey::from_rsa_der(&self.parts.private_der);
        sign_compact(algorithm.to_jsonwebtoken(), &encoding_key, header, payload)
    }
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl KeyParts {
    fn from_private_der(der: &[u8]) -> Self {
        let private_key = rsa::PrivateKey::from_pkcs1_der(der).expect("the test key is PKCS#1 DER");
        let public_key = private_key.to_public_key();
        let public_der = public_key
            .to_pkcs1_der()
            .expect("an RSA public key encodes as PKCS#1")
            .as_bytes()
            .to_vec();

        Self {
            private_der: der.to_vec(),
            modulus: public_key.n_bytes().into_vec(),
            exponent: public_key.e_bytes().into_vec(),
            public_der,
        }
    }
}

/// Builds a JWKS document (`{"keys": [...]}`) from test keys.
pub fn jwks(keys: &[TestKey]) -> Value {
    json!({ "keys": keys.iter().map(TestKey::jwk).collect::<Vec<_>>() })
}

/// Signs a token with HS256 and the given secret, for tests that check that
/// HMAC tokens are rejected (for example one keyed with an RSA public key).
pub fn sign_hs256(secret: &[u8], header: &Value, payload: &[u8]) -> String {
    sign_compact(
        jsonwebtoken::Algorithm::HS256,
        &EncodingKey::from_secret(secret).expect("an HMAC secret of any length is valid"),
        header,
        payload,
    )
}

fn sign_compact(
    algorithm: jsonwebtoken::Algorithm,
    key: &EncodingKey,
    header: &Value,
    payload: &[u8],
) -> String {
    let header = serde_json::to_vec(header).expect("the header serializes to JSON");
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );

    let signer =
        (CRYPTO_PROVIDER.signer_factory)(&algorithm, key).expect("the test key fits the algorithm");
    let signature = signer
        .try_sign(signing_input.as_bytes())
        .expect("signing with a test key succeeds");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}
