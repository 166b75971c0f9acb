//! The message builder: every parameter of `POST /v3/{domain}/messages`
//! that this crate sends.

use std::fmt;

use serde_json::Value;
use time::OffsetDateTime;

use crate::attachment::Attachment;
use crate::error::Error;
use crate::mailbox::Mailbox;

/// The `v:` variable that [`Message::correlation_id`] sets.
pub const CORRELATION_ID_VARIABLE: &str = "correlation-id";

/// An email to send through Mailgun's Messages API.
///
/// Build it with chained calls. [`Client::send`](crate::Client::send)
/// validates it before any request is made. Repeated calls to [`to`](Self::to),
/// [`cc`](Self::cc), [`bcc`](Self::bcc), [`tag`](Self::tag),
/// [`header`](Self::header), [`variable`](Self::variable),
/// [`attachment`](Self::attachment) and [`inline`](Self::inline) add values.
/// The other setters replace the previous value.
///
/// ```
/// use mailgun_lite::Message;
///
/// let message = Message::new()
///     .from("Acme <welcome@mg.example.com>")
///     .to("jane@example.com")
///     .subject("Welcome to Acme")
///     .text("Hello Jane, your account is ready.")
///     .tag("welcome")
///     .correlation_id("evt-7f3a");
/// assert!(message.validate().is_ok());
/// ```
///
/// # Recipients see each other
///
/// Mailgun sends one email to all `to` addresses, so every recipient sees the
/// others. To send each recipient a separate copy, set
/// [`recipient_variables`](Self::recipient_variables) (batch sending), with
/// an entry per address.
#[derive(Clone, Default)]
pub struct Message {
    pub(crate) from: Option<Mailbox>,
    pub(crate) to: Vec<Mailbox>,
    pub(crate) cc: Vec<Mailbox>,
    pub(crate) bcc: Vec<Mailbox>,
    pub(crate) reply_to: Option<Mailbox>,
    pub(crate) subject: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) html: Option<String>,
    pub(crate) amp_html: Option<String>,
    pub(crate) template: Option<String>,
    pub(crate) template_version: Option<String>,
    pub(crate) template_text: bool,
    pub(crate) template_variables: Option<Value>,
    pub(crate) recipient_variables: Option<Value>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) variables: Vec<(String, String)>,
    pub(crate) tags: Vec<String>,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) testmode: bool,
    pub(crate) tracking: Option<bool>,
    pub(crate) tracking_clicks: Option<ClickTracking>,
    pub(crate) tracking_opens: Option<bool>,
    pub(crate) delivery_time: Option<OffsetDateTime>,
    pub(crate) require_tls: Option<bool>,
    pub(crate) attachments: Vec<Attachment>,
    pub(crate) inline: Vec<Attachment>,
}

/// The `o:tracking-clicks` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClickTracking {
    /// Rewrite links in all parts to track clicks (`yes`).
    Yes,
    /// Do not track clicks (`no`).
    No,
    /// Track clicks in the HTML part only (`htmlonly`).
    HtmlOnly,
}

impl ClickTracking {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ClickTracking::Yes => "yes",
            ClickTracking::No => "no",
            ClickTracking::HtmlOnly => "htmlonly",
        }
    }
}

impl Message {
    /// Creates an empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the sender (`from`), such as `Acme <welcome@mg.example.com>`.
    pub fn from(mut self, sender: impl Into<Mailbox>) -> Self {
        self.from = Some(sender.into());
        self
    }

    /// Adds a `to` recipient; each call sends one more `to` field.
    ///
    /// All `to` recipients see each other unless
    /// [`recipient_variables`](Self::recipient_variables) is set.
    pub fn to(mut self, recipient: impl Into<Mailbox>) -> Self {
        self.to.push(recipient.into());
        self
    }

    /// Adds a `cc` recipient.
    pub fn cc(mut self, recipient: impl Into<Mailbox>) -> Self {
        self.cc.push(recipient.into());
        self
    }

    /// Adds a `bcc` recipient.
    pub fn bcc(mut self, recipient: impl Into<Mailbox>) -> Self {
        self.bcc.push(recipient.into());
        self
    }

    /// Sets the `Reply-To` header (sent as `h:Reply-To`).
    pub fn reply_to(mut self, mailbox: impl Into<Mailbox>) -> Self {
        self.reply_to = Some(mailbox.into());
        self
    }

    /// Sets the subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the plain-text body (`text`).
    pub fn text(mut self, body: impl Into<String>) -> Self {
        self.text = Some(body.into());
        self
    }

    /// Sets the HTML body (`html`). It cannot be combined with a
    /// [`template`](Self::template).
    pub fn html(mut self, body: impl Into<String>) -> Self {
        self.html = Some(body.into());
        self
    }

    /// Sets the AMP HTML body (`amp-html`).
    pub fn amp_html(mut self, body: impl Into<String>) -> Self {
        self.amp_html = Some(body.into());
        self
    }

    /// Sets the name of a template stored in Mailgun (`template`).
    pub fn template(mut self, name: impl Into<String>) -> Self {
        self.template = Some(name.into());
        self
    }

    /// Sets the template version (`t:version`). Without it, Mailgun uses the
    /// active version.
    pub fn template_version(mut self, version: impl Into<String>) -> Self {
        self.template_version = Some(version.into());
        self
    }

    /// Asks Mailgun to render a text part from the template too (`t:text`).
    pub fn template_text(mut self, render_text: bool) -> Self {
        self.template_text = render_text;
        self
    }

    /// Sets the template variables (`t:variables`), a JSON object such as
    /// `json!({"name": "Jane"})`. Unlike `h:X-Mailgun-Variables`, they do not
    /// appear as a header of the delivered email.
    pub fn template_variables(mut self, variables: Value) -> Self {
        self.template_variables = Some(variables);
        self
    }

    /// Sets per-recipient variables for batch sending (`recipient-variables`),
    /// a JSON object keyed by `to` address, such as
    /// `json!({"jane@example.com": {"name": "Jane"}})`.
    ///
    /// With it, Mailgun sends each `to` recipient a separate copy and
    /// replaces `%recipient.name%` in the body. Without it, every `to`
    /// recipient sees all the others.
    pub fn recipient_variables(mut self, variables: Value) -> Self {
        self.recipient_variables = Some(variables);
        self
    }

    /// Adds a custom header (`h:{name}`), such as `List-Unsubscribe`. The name
    /// must be ASCII, and neither name nor value may contain CR or LF.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds a custom variable (`v:{name}`). Mailgun returns it as
    /// `user-variables` in events and webhooks. The name must be ASCII.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }

    /// Sets the `v:correlation-id` variable, replacing an earlier one.
    ///
    /// Mailgun has no idempotency key: when a send is retried after a 5xx or a
    /// timeout, Mailgun may deliver the email twice. A stable id per logical
    /// email (such as the id of the event that caused it) lets you find such
    /// duplicates in Mailgun's events.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.variables
            .retain(|(name, _)| name != CORRELATION_ID_VARIABLE);
        self.variables
            .push((CORRELATION_ID_VARIABLE.to_owned(), id.into()));
        self
    }

    /// Adds a tag (`o:tag`). Mailgun accepts at most 10 per message, each
    /// ASCII and at most 128 characters long.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Sends the message in test mode (`o:testmode=yes`): Mailgun accepts it
    /// but does not deliver it. Test-mode messages are still billed.
    pub fn testmode(mut self, enabled: bool) -> Self {
        self.testmode = enabled;
        self
    }

    /// Turns open and click tracking on or off (`o:tracking`).
    pub fn tracking(mut self, enabled: bool) -> Self {
        self.tracking = Some(enabled);
        self
    }

    /// Sets click tracking (`o:tracking-clicks`).
    pub fn tracking_clicks(mut self, setting: ClickTracking) -> Self {
        self.tracking_clicks = Some(setting);
        self
    }

    /// Turns open tracking on or off (`o:tracking-opens`). Open tracking
    /// needs an HTML part.
    pub fn tracking_opens(mut self, enabled: bool) -> Self {
        self.tracking_opens = Some(enabled);
        self
    }

    /// Schedules delivery (`o:deliverytime`, sent as an RFC 2822 date).
    /// Mailgun accepts dates up to 3 days ahead (7 on some plans).
    pub fn delivery_time(mut self, at: OffsetDateTime) -> Self {
        self.delivery_time = Some(at);
        self
    }

    /// Requires TLS to the receiving server (`o:require-tls`): without a TLS
    /// connection Mailgun does not deliver.
    pub fn require_tls(mut self, required: bool) -> Self {
        self.require_tls = Some(required);
        self
    }

    /// Adds another sending option (`o:{name}`), for options without their
    /// own method, such as `dkim` or `sending-ip-pool`.
    pub fn option(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push((name.into(), value.into()));
        self
    }

    /// Adds an attachment (`attachment`).
    pub fn attachment(mut self, file: Attachment) -> Self {
        self.attachments.push(file);
        self
    }

    /// Adds an inline file (`inline`), referenced from the HTML body as
    /// `cid:<file name>`.
    pub fn inline(mut self, file: Attachment) -> Self {
        self.inline.push(file);
        self
    }

    /// Checks the message without sending it. [`Client::send`](crate::Client::send)
    /// runs the same checks before any request.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidMessage`](crate::ErrorKind::InvalidMessage)
    /// error whose [`field`](Error::field) names the first invalid field.
    pub fn validate(&self) -> Result<(), Error> {
        crate::encode::encode(self).map(drop)
    }

    /// Returns the number of recipients in `to`, `cc` and `bcc`.
    pub fn recipient_count(&self) -> usize {
        self.to.len() + self.cc.len() + self.bcc.len()
    }
}

impl fmt::Debug for Message {
    /// Writes the envelope and options. Bodies and file contents are shown
    /// only by their length, so a log line never carries an email body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let length = |body: &Option<String>| body.as_ref().map(String::len);
        f.debug_struct("Message")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("cc", &self.cc)
            .field("bcc", &self.bcc)
            .field("reply_to", &self.reply_to)
            .field("subject", &self.subject)
            .field("text_len", &length(&self.text))
            .field("html_len", &length(&self.html))
            .field("amp_html_len", &length(&self.amp_html))
            .field("template", &self.template)
            .field("template_version", &self.template_version)
            .field("tags", &self.tags)
            .field("headers", &self.headers.len())
            .field("variables", &self.variables.len())
            .field("testmode", &self.testmode)
            .field("attachments", &self.attachments)
            .field("inline", &self.inline)
            .finish_non_exhaustive()
    }
}
