//! Compares `Verifier::verify` on a warm cache with a bare `jsonwebtoken`
//! decode of the same token with a pre-built key.
//!
//! Run with `cargo bench -p kinde-webhook --features testing`.

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::crypto::CryptoProvider;
use jsonwebtoken::{DecodingKey, Validation};
use kinde_webhook::testing::{TestIssuer, samples};

fn install_provider() {
    #[cfg(feature = "aws-lc-rs")]
    let provider: &'static CryptoProvider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(not(feature = "aws-lc-rs"))]
    let provider: &'static CryptoProvider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    let _ = provider.install_default();
}

fn verify_warm(criterion: &mut Criterion) {
    install_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let issuer = runtime.block_on(TestIssuer::start());
    let verifier = issuer.verifier();
    let token = issuer.sign(&samples::user_created().to_json());
    runtime.block_on(verifier.verify(token.as_bytes())).unwrap();

    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(issuer.signing_key().jwk()).unwrap();
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;

    let mut group = criterion.benchmark_group("verify_user_created");
    group.bench_function("kinde_webhook_verifier", |bencher| {
        bencher.iter(|| runtime.block_on(verifier.verify(token.as_bytes())).unwrap());
    });
    group.bench_function("bare_jsonwebtoken_decode", |bencher| {
        bencher.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(token.as_bytes(), &key, &validation).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, verify_warm);
criterion_main!(benches);
