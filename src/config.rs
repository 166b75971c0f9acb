//! Configuration from the environment, validated at start with one message per problem.

use std::fmt;
use std::net::SocketAddr;

use kinde_webhook::Source;
use mailgun_lite::Region;

/// The default listen address.
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:3000";

/// The variables whose presence switches the app from demo mode to production mode.
const PRODUCTION_PREFIXES: [&str; 3] = ["KINDE_", "MAILGUN_", "WELCOME_"];

/// Every variable with a production prefix that the app reads.
const KNOWN_VARIABLES: [&str; 9] = [
    "KINDE_ISSUER_URL",
    "MAILGUN_API_KEY",
    "MAILGUN_DOMAIN",
    "MAILGUN_REGION",
    "MAILGUN_BASE_URL",
    "WELCOME_FROM",
    "WELCOME_SIGN_IN_URL",
    "WELCOME_SOURCES",
    "WELCOME_TEMPLATE",
];

/// Everything the welcome app needs to run against the real Kinde and Mailgun.
#[derive(Clone)]
pub struct Config {
    /// The Kinde business domain (`KINDE_ISSUER_URL`), such as `https://yourbiz.kinde.com`.
    pub issuer_url: String,
    /// The Mailgun sending key (`MAILGUN_API_KEY`). Never logged.
    pub mailgun_api_key: String,
    /// The Mailgun sending domain (`MAILGUN_DOMAIN`).
    pub mailgun_domain: String,
    /// The Mailgun region (`MAILGUN_REGION`, `us` or `eu`; default `us`).
    pub mailgun_region: Region,
    /// An override of the Mailgun API base URL (`MAILGUN_BASE_URL`).
    pub mailgun_base_url: Option<String>,
    /// The settings of the welcome email.
    pub welcome: WelcomeSettings,
    /// The listen address (`BIND_ADDR`, default `127.0.0.1:3000`).
    pub bind_addr: SocketAddr,
    /// The Redis URL for de-duplication across instances (`REDIS_URL`), if any.
    pub redis_url: Option<String>,
}

/// The settings that shape the welcome email and decide who gets one.
#[derive(Debug, Clone)]
pub struct WelcomeSettings {
    /// The sender (`WELCOME_FROM`), such as `Acme <welcome@mg.acme.test>`.
    pub from: String,
    /// The link placed in the email (`WELCOME_SIGN_IN_URL`).
    pub sign_in_url: String,
    /// The event sources that get a welcome email (`WELCOME_SOURCES`; default all three).
    pub sources: Vec<Source>,
    /// A Mailgun stored template to send instead of the built-in bodies (`WELCOME_TEMPLATE`).
    pub template: Option<String>,
}

/// The mode the app starts in.
#[derive(Debug)]
pub enum Mode {
    /// No production variable is set (or `--demo` was given): run the local demo.
    Demo {
        /// The listen address (`BIND_ADDR`, default `127.0.0.1:3000`).
        bind_addr: SocketAddr,
    },
    /// Production variables are set and valid.
    Production(Box<Config>),
}

/// The problems found in the environment, one per bad or missing variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<String>,
}

impl ConfigError {
    /// Returns one message per problem, each naming its variable.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration is invalid:")?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        write!(
            f,
            "unset every KINDE_*, MAILGUN_* and WELCOME_* variable (or pass --demo) to run the local demo instead"
        )
    }
}

impl std::error::Error for ConfigError {}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("issuer_url", &self.issuer_url)
            .field("mailgun_api_key", &"<redacted>")
            .field("mailgun_domain", &self.mailgun_domain)
            .field("mailgun_region", &self.mailgun_region)
            .field("mailgun_base_url", &self.mailgun_base_url)
            .field("welcome", &self.welcome)
            .field("bind_addr", &self.bind_addr)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Mode {
    /// Reads the process environment and the command-line arguments.
    pub fn from_env() -> Result<Self, ConfigError> {
        let demo_flag = std::env::args()
            .skip(1)
            .any(|argument| argument == "--demo");
        let variables: Vec<(String, String)> = std::env::vars().collect();
        Self::from_variables(&variables, demo_flag)
    }

    /// Decides the mode from a list of variables, for tests and embedding.
    pub fn from_variables(
        variables: &[(String, String)],
        demo_flag: bool,
    ) -> Result<Self, ConfigError> {
        let reader = Reader { variables };
        let any_production = variables.iter().any(|(name, _)| {
            PRODUCTION_PREFIXES
                .iter()
                .any(|prefix| name.starts_with(prefix))
        });

        if demo_flag || !any_production {
            let mut problems = Vec::new();
            let bind_addr = reader.bind_addr(&mut problems);
            return match problems.is_empty() {
                true => Ok(Self::Demo { bind_addr }),
                false => Err(ConfigError { problems }),
            };
        }
        Config::from_reader(&reader).map(|config| Self::Production(Box::new(config)))
    }
}

impl Config {
    fn from_reader(reader: &Reader<'_>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();

        reader.unknown_variables(&mut problems);
        let issuer_url = reader.required(
            "KINDE_ISSUER_URL",
            "your Kinde business domain, e.g. https://yourbiz.kinde.com",
            &mut problems,
        );
        if let Some(url) = &issuer_url {
            check_issuer_url(url, &mut problems);
        }
        let mailgun_api_key = reader.required(
            "MAILGUN_API_KEY",
            "your Mailgun sending API key",
            &mut problems,
        );
        let mailgun_domain = reader.required(
            "MAILGUN_DOMAIN",
            "your Mailgun sending domain, e.g. mg.example.com",
            &mut problems,
        );
        let mailgun_region = reader.region(&mut problems);
        let mailgun_base_url = reader.optional("MAILGUN_BASE_URL");
        if let Some(url) = &mailgun_base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            problems.push(format!("MAILGUN_BASE_URL {url:?} is not an http(s) URL; unset it to use the region's API URL"));
        }

        let from = reader.required(
            "WELCOME_FROM",
            "the sender, e.g. Acme <welcome@mg.example.com>",
            &mut problems,
        );
        if let Some(from) = &from
            && !from.contains('@')
        {
            problems.push(format!(
                "WELCOME_FROM {from:?} has no email address; use e.g. Acme <welcome@mg.example.com>"
            ));
        }
        let sign_in_url = reader.required(
            "WELCOME_SIGN_IN_URL",
            "the sign-in link for the email, e.g. https://app.example.com/login",
            &mut problems,
        );
        if let Some(url) = &sign_in_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            problems.push(format!("WELCOME_SIGN_IN_URL {url:?} is not an http(s) URL"));
        }
        let sources = reader.sources(&mut problems);
        let template = reader.optional("WELCOME_TEMPLATE");
        let bind_addr = reader.bind_addr(&mut problems);
        let redis_url = reader.optional("REDIS_URL");

        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Self {
            issuer_url: issuer_url.unwrap_or_default(),
            mailgun_api_key: mailgun_api_key.unwrap_or_default(),
            mailgun_domain: mailgun_domain.unwrap_or_default(),
            mailgun_region,
            mailgun_base_url,
            welcome: WelcomeSettings {
                from: from.unwrap_or_default(),
                sign_in_url: sign_in_url.unwrap_or_default(),
                sources,
                template,
            },
            bind_addr,
            redis_url,
        })
    }
}

/// Checks the issuer URL the way the verifier will, with a message about the
/// variable rather than the builder.
fn check_issuer_url(url: &str, problems: &mut Vec<String>) {
    let builder = kinde_webhook::Verifier::builder(url);
    let Err(error) = builder.build() else {
        return;
    };

    if url.starts_with("http://") {
        problems.push(format!(
            "KINDE_ISSUER_URL {url:?} uses plain HTTP; use the https:// business domain (plain HTTP is accepted only for loopback hosts)"
        ));
    } else {
        problems.push(format!("KINDE_ISSUER_URL is invalid: {error}"));
    }
}

struct Reader<'a> {
    variables: &'a [(String, String)],
}

impl Reader<'_> {
    /// Names each set variable with a production prefix that the app does not
    /// read, such as a misspelt `WELCOME_FORM`.
    fn unknown_variables(&self, problems: &mut Vec<String>) {
        for (name, _) in self.variables {
            let production = PRODUCTION_PREFIXES
                .iter()
                .any(|prefix| name.starts_with(prefix));
            if production && !KNOWN_VARIABLES.contains(&name.as_str()) {
                problems.push(format!(
                    "{name} is not a variable this app reads; check its spelling against: {}",
                    KNOWN_VARIABLES.join(", ")
                ));
            }
        }
    }

    /// Returns the trimmed value, or `None` when unset or blank.
    fn optional(&self, name: &str) -> Option<String> {
        self.variables
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    fn required(&self, name: &str, meaning: &str, problems: &mut Vec<String>) -> Option<String> {
        let value = self.optional(name);
        if value.is_none() {
            problems.push(format!("{name} is missing; set it to {meaning}"));
        }
        value
    }

    fn region(&self, problems: &mut Vec<String>) -> Region {
        match self.optional("MAILGUN_REGION") {
            None => Region::Us,
            Some(value) => value.parse().unwrap_or_else(|_| {
                problems.push(format!("MAILGUN_REGION {value:?} is invalid; use us or eu"));
                Region::Us
            }),
        }
    }

    fn sources(&self, problems: &mut Vec<String>) -> Vec<Source> {
        let Some(value) = self.optional("WELCOME_SOURCES") else {
            return vec![Source::Admin, Source::Api, Source::User];
        };

        let mut sources = Vec::new();
        for item in value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            match item {
                "admin" => sources.push(Source::Admin),
                "api" => sources.push(Source::Api),
                "user" => sources.push(Source::User),
                other => problems.push(format!(
                    "WELCOME_SOURCES contains {other:?}; use a comma list of admin, api, user"
                )),
            }
        }
        if sources.is_empty() {
            problems.push("WELCOME_SOURCES lists no source; use a comma list of admin, api, user, or unset it for all three".to_owned());
        }
        sources
    }

    fn bind_addr(&self, problems: &mut Vec<String>) -> SocketAddr {
        let value = self
            .optional("BIND_ADDR")
            .unwrap_or_else(|| DEFAULT_BIND_ADDR.to_owned());
        value.parse().unwrap_or_else(|_| {
            problems.push(format!(
                "BIND_ADDR {value:?} is not an address with a port; use e.g. {DEFAULT_BIND_ADDR}"
            ));
            DEFAULT_BIND_ADDR
                .parse()
                .expect("the default bind address is valid")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    fn production() -> Vec<(&'static str, &'static str)> {
        vec![
            ("KINDE_ISSUER_URL", "https://yourbiz.kinde.com"),
            ("MAILGUN_API_KEY", "key-secret-123"),
            ("MAILGUN_DOMAIN", "mg.example.com"),
            ("WELCOME_FROM", "Acme <welcome@mg.example.com>"),
            ("WELCOME_SIGN_IN_URL", "https://app.example.com/login"),
        ]
    }

    #[test]
    fn no_production_variable_means_demo() {
        let mode = Mode::from_variables(
            &variables(&[("PATH", "/usr/bin"), ("RUST_LOG", "debug")]),
            false,
        )
        .unwrap();

        assert!(matches!(mode, Mode::Demo { .. }));
    }

    #[test]
    fn demo_flag_wins_over_variables() {
        let mode = Mode::from_variables(&variables(&production()), true).unwrap();

        assert!(matches!(mode, Mode::Demo { .. }));
    }

    #[test]
    fn complete_production_variables_parse() {
        let Mode::Production(config) =
            Mode::from_variables(&variables(&production()), false).unwrap()
        else {
            panic!("expected production mode");
        };

        assert_eq!(config.mailgun_region, Region::Us);
        assert_eq!(
            config.welcome.sources,
            vec![Source::Admin, Source::Api, Source::User]
        );
        assert_eq!(config.bind_addr.to_string(), DEFAULT_BIND_ADDR);
    }

    #[test]
    fn one_set_variable_requires_all() {
        let error =
            Mode::from_variables(&variables(&[("WELCOME_FORM", "typo")]), false).unwrap_err();

        assert_eq!(error.problems().len(), 6, "{error}");
        for name in [
            "WELCOME_FORM",
            "KINDE_ISSUER_URL",
            "MAILGUN_API_KEY",
            "MAILGUN_DOMAIN",
            "WELCOME_FROM",
            "WELCOME_SIGN_IN_URL",
        ] {
            assert!(
                error
                    .problems()
                    .iter()
                    .any(|problem| problem.starts_with(name)),
                "{name} not named: {error}"
            );
        }
    }

    #[test]
    fn invalid_values_are_named() {
        let mut pairs = production();
        pairs.extend([
            ("KINDE_ISSUER_URL", "http://yourbiz.kinde.com/path"),
            ("MAILGUN_REGION", "asia"),
            ("WELCOME_SOURCES", "admin,partner"),
            ("BIND_ADDR", "localhost"),
        ]);

        let error = Mode::from_variables(&variables(&pairs), false).unwrap_err();

        assert_eq!(error.problems().len(), 4, "{error}");
        for name in [
            "KINDE_ISSUER_URL",
            "MAILGUN_REGION",
            "WELCOME_SOURCES",
            "BIND_ADDR",
        ] {
            assert!(
                error
                    .problems()
                    .iter()
                    .any(|problem| problem.starts_with(name)),
                "{name} not named: {error}"
            );
        }
    }

    #[test]
    fn plain_http_issuer_names_the_variable() {
        let mut pairs = production();
        pairs.push(("KINDE_ISSUER_URL", "http://yourbiz.kinde.com"));

        let error = Mode::from_variables(&variables(&pairs), false).unwrap_err();

        assert_eq!(error.problems().len(), 1, "{error}");
        assert!(error.problems()[0].contains("uses plain HTTP"), "{error}");
        assert!(!error.problems()[0].contains("danger"), "{error}");
    }

    #[test]
    fn api_key_is_never_shown() {
        let Mode::Production(config) =
            Mode::from_variables(&variables(&production()), false).unwrap()
        else {
            panic!("expected production mode");
        };
        let mut pairs = production();
        pairs.push(("MAILGUN_REGION", "mars"));
        let error = Mode::from_variables(&variables(&pairs), false).unwrap_err();

        assert!(!format!("{config:?}").contains("key-secret-123"));
        assert!(!error.to_string().contains("key-secret-123"));
    }
}
