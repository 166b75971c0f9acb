//! The signature algorithms a verifier may accept, and the crypto backend that checks them.

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::crypto::CryptoProvider;

use crate::error::{Error, ErrorKind, quote};

/// A JWS algorithm of the RSA family, the only family Kinde signs with.
///
/// There is deliberately no variant for `none` or the HMAC algorithms, so an
/// allow-list can never contain them. Kinde signs with [`Algorithm::RS256`],
/// the verifier's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: what Kinde uses.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
}

impl Algorithm {
    /// Returns the name used in a JWS header's `alg` and a JWK's `alg`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
        }
    }

    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::RS256 => jsonwebtoken::Algorithm::RS256,
            Self::RS384 => jsonwebtoken::Algorithm::RS384,
            Self::RS512 => jsonwebtoken::Algorithm::RS512,
            Self::PS256 => jsonwebtoken::Algorithm::PS256,
            Self::PS384 => jsonwebtoken::Algorithm::PS384,
            Self::PS512 => jsonwebtoken::Algorithm::PS512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses an `alg` name. `none`, `HS256` and every other name outside the
    /// RSA family fail with [`ErrorKind::DisallowedAlgorithm`].
    fn from_str(name: &str) -> Result<Self, Error> {
        match name {
            "RS256" => Ok(Self::RS256),
            "RS384" => Ok(Self::RS384),
            "RS512" => Ok(Self::RS512),
            "PS256" => Ok(Self::PS256),
            "PS384" => Ok(Self::PS384),
            "PS512" => Ok(Self::PS512),
            other => Err(Error::new(
                ErrorKind::DisallowedAlgorithm,
                format!(
                    "the token's algorithm {} is not allowed; Kinde signs webhooks with RS256",
                    quote(other)
                ),
            )),
        }
    }
}

/// The crypto backend this build verifies with. Chosen here rather than through
/// jsonwebtoken's process-wide default, which panics when both backends are
/// compiled in (as `--all-features` or Cargo's feature unification does).
/// aws-lc-rs wins when both features are on.
#[cfg(feature = "aws-lc-rs")]
pub(crate) static CRYPTO_PROVIDER: &CryptoProvider =
    &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) static CRYPTO_PROVIDER: &CryptoProvider =
    &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "kinde-webhook needs a crypto backend: enable the `aws-lc-rs` or the `rust-crypto` feature"
);

/// Returns the name of the crypto backend this build verifies with:
/// `"aws-lc-rs"` or `"rust-crypto"`.
pub fn crypto_backend() -> &'static str {
    if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "rust-crypto"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_none_and_hmac() {
        for name in ["none", "None", "HS256", "HS512", "ES256", "EdDSA", ""] {
            let error = name.parse::<Algorithm>().unwrap_err();
            assert_eq!(error.kind(), ErrorKind::DisallowedAlgorithm, "{name}");
        }
    }

    #[test]
    fn parse_round_trips_rsa_family() {
        for algorithm in [
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ] {
            assert_eq!(algorithm.as_str().parse::<Algorithm>().unwrap(), algorithm);
        }
    }
}
