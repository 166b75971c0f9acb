//! Reading the client settings from `MAILGUN_*` environment variables.

use std::ffi::OsString;

use crate::api_key::ApiKey;
use crate::builder::{ClientBuilder, base_url_problem, domain_problem};
use crate::error::Error;
use crate::region::Region;

/// Builds a [`ClientBuilder`] from variables returned by `lookup`, reporting
/// every missing or invalid variable in one error.
pub(crate) fn from_lookup(
    lookup: impl Fn(&str) -> Option<OsString>,
) -> Result<ClientBuilder, Error> {
    let mut problems = Vec::new();
    let mut read = |name: &str, required: bool| -> Option<String> {
        let problem = match lookup(name).map(OsString::into_string) {
            Some(Ok(value)) if !value.trim().is_empty() => return Some(value.trim().to_owned()),
            Some(Err(_)) => "is not valid UTF-8",
            Some(Ok(_)) if required => "is empty",
            None if required => "is not set",
            _ => return None,
        };
        problems.push(format!("{name} {problem}"));
        None
    };
    let api_key = read("MAILGUN_API_KEY", true);
    let domain = read("MAILGUN_DOMAIN", true);
    let region = read("MAILGUN_REGION", false);
    let base_url = read("MAILGUN_BASE_URL", false);

    if let Some(problem) = api_key
        .as_ref()
        .and_then(|key| ApiKey::new(key.as_str()).problem())
    {
        problems.push(format!("MAILGUN_API_KEY {problem}"));
    }
    if let Some(problem) = domain.as_deref().and_then(domain_problem) {
        problems.push(format!("MAILGUN_DOMAIN {problem}"));
    }
    let region = match region.as_deref().map(str::parse::<Region>) {
        None => Region::default(),
        Some(Ok(region)) => region,
        Some(Err(_)) => {
            let value = region.unwrap_or_default();
            problems.push(format!(
                "MAILGUN_REGION is `{value}`; expected `us` or `eu`"
            ));
            Region::default()
        }
    };
    if let Some(problem) = base_url
        .as_deref()
        .and_then(|url| base_url_problem(url.trim_end_matches('/')))
    {
        problems.push(format!("MAILGUN_BASE_URL {problem}"));
    }

    if !problems.is_empty() {
        return Err(Error::invalid_config(format!(
            "invalid Mailgun settings in the environment: {}",
            problems.join("; ")
        )));
    }
    let mut builder =
        ClientBuilder::new(api_key.unwrap_or_default(), domain.unwrap_or_default()).region(region);
    if let Some(base_url) = base_url {
        builder = builder.base_url(base_url);
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        }
    }

    #[test]
    fn missing_variables_are_all_named() {
        let error = from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidConfig);
        let message = error.to_string();
        assert!(message.contains("MAILGUN_API_KEY is not set"), "{message}");
        assert!(message.contains("MAILGUN_DOMAIN is not set"), "{message}");
    }

    #[test]
    fn empty_key_is_named() {
        let vars = [
            ("MAILGUN_API_KEY", " "),
            ("MAILGUN_DOMAIN", "mg.example.com"),
        ];
        let message = from_lookup(lookup(&vars)).unwrap_err().to_string();
        assert!(message.contains("MAILGUN_API_KEY is empty"), "{message}");
        assert!(!message.contains("MAILGUN_DOMAIN"), "{message}");
    }

    #[test]
    fn invalid_region_is_named() {
        let vars = [
            ("MAILGUN_API_KEY", "key-example"),
            ("MAILGUN_DOMAIN", "mg.example.com"),
            ("MAILGUN_REGION", "europe"),
        ];
        let message = from_lookup(lookup(&vars)).unwrap_err().to_string();
        assert!(
            message.contains("MAILGUN_REGION is `europe`; expected `us` or `eu`"),
            "{message}"
        );
    }

    #[test]
    fn invalid_domain_and_base_url_are_named() {
        let vars = [
            ("MAILGUN_API_KEY", "key-example"),
            ("MAILGUN_DOMAIN", "mg.example.com/x"),
            ("MAILGUN_BASE_URL", "localhost:8080"),
        ];
        let message = from_lookup(lookup(&vars)).unwrap_err().to_string();
        assert!(
            message.contains("MAILGUN_DOMAIN `mg.example.com/x`"),
            "{message}"
        );
        assert!(
            message.contains("MAILGUN_BASE_URL `localhost:8080`"),
            "{message}"
        );
    }

    #[test]
    fn base_url_credentials_are_not_quoted() {
        let vars = [
            ("MAILGUN_API_KEY", "key-example"),
            ("MAILGUN_DOMAIN", "mg.example.com"),
            (
                "MAILGUN_BASE_URL",
                "https://api:key-secret-123@api.mailgun.net",
            ),
        ];
        let message = from_lookup(lookup(&vars)).unwrap_err().to_string();
        assert!(message.contains("MAILGUN_BASE_URL"), "{message}");
        assert!(!message.contains("key-secret-123"), "{message}");
    }

    #[test]
    fn error_never_quotes_key() {
        let vars = [
            ("MAILGUN_API_KEY", "key-secret-123"),
            ("MAILGUN_REGION", "mars"),
        ];
        let error = from_lookup(lookup(&vars)).unwrap_err();
        assert!(!format!("{error} {error:?}").contains("key-secret-123"));
    }

    #[test]
    fn eu_region_and_base_url_are_used() {
        let vars = [
            ("MAILGUN_API_KEY", "key-example"),
            ("MAILGUN_DOMAIN", "mg.example.com"),
            ("MAILGUN_REGION", "eu"),
        ];
        let client = from_lookup(lookup(&vars)).unwrap().build().unwrap();
        assert_eq!(
            client.messages_url(),
            "https://api.eu.mailgun.net/v3/mg.example.com/messages"
        );

        let vars = [
            ("MAILGUN_API_KEY", "key-example"),
            ("MAILGUN_DOMAIN", "mg.example.com"),
            ("MAILGUN_BASE_URL", "http://127.0.0.1:9/"),
        ];
        let client = from_lookup(lookup(&vars)).unwrap().build().unwrap();
        assert_eq!(
            client.messages_url(),
            "http://127.0.0.1:9/v3/mg.example.com/messages"
        );
    }
}
