//! The decision for each verified event: queue a welcome email or ignore it.

use std::sync::Arc;

use kinde_webhook::{Event, EventData};

use crate::config::WelcomeSettings;
use crate::email::{NoEmail, Recipient, welcome_email};
use crate::queue::{EmailQueue, EnqueueError};

/// The app's decision for a verified event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A welcome email was queued. Respond 200.
    Queued,
    /// Nothing to send, for the reason given. Respond 200 so Kinde stops retrying.
    Ignored(&'static str),
    /// The queue is full or closing. Respond 503 so Kinde redelivers later.
    Unavailable,
}

/// Turns verified events into queued welcome emails. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Welcome {
    settings: Arc<WelcomeSettings>,
    queue: EmailQueue,
}

impl Welcome {
    /// Creates the service from its settings and the queue it feeds.
    pub fn new(settings: WelcomeSettings, queue: EmailQueue) -> Self {
        Self {
            settings: Arc::new(settings),
            queue,
        }
    }

    /// Returns the queue this service feeds.
    pub fn queue(&self) -> &EmailQueue {
        &self.queue
    }

    /// Queues a welcome email for a `user.created` event from an allowed
    /// source whose user has an email address, and logs why otherwise.
    pub fn handle(&self, event: &Event) -> Outcome {
        let outcome = self.decide(event);
        match &outcome {
            // Logged before the email enters the queue, so it precedes the worker's "sent".
            Outcome::Queued => {}
            Outcome::Ignored(reason) => {
                tracing::info!(event_id = %event.event_id, event_type = %event.event_type, source = %event.source, reason, "no welcome email")
            }
            Outcome::Unavailable => {
                tracing::warn!(event_id = %event.event_id, queue_depth = self.queue.depth(), "email queue full; asking Kinde to redeliver")
            }
        }
        outcome
    }

    fn decide(&self, event: &Event) -> Outcome {
        let recipient = match recipient_of(event) {
            Ok(recipient) => recipient,
            Err(reason) => return Outcome::Ignored(reason),
        };
        if !self.settings.sources.contains(&event.source) {
            return Outcome::Ignored("the event source is not in WELCOME_SOURCES");
        }
        let email = match welcome_email(&event.event_id, recipient, &self.settings) {
            Ok(email) => email,
            Err(NoEmail::Missing) => return Outcome::Ignored("the user has no email address"),
            Err(NoEmail::Invalid) => {
                return Outcome::Ignored(
                    "the user's email address is not of the form local@domain",
                );
            }
        };

        tracing::info!(event_id = %event.event_id, "queueing the welcome email");
        match self.queue.try_enqueue(email) {
            Ok(()) => Outcome::Queued,
            Err(EnqueueError::Full | EnqueueError::Closed) => Outcome::Unavailable,
        }
    }
}

/// Reads the recipient of a `user.created` event. When its data did not fit
/// the typed model, the address and name are read from the raw JSON, so an
/// authentic new user still gets the email.
fn recipient_of(event: &Event) -> Result<Recipient<'_>, &'static str> {
    match &event.data {
        EventData::UserCreated(data) => Ok(Recipient::from_user(&data.user)),
        EventData::Other(raw) if event.event_type == "user.created" => {
            tracing::warn!(
                event_id = %event.event_id,
                parse_error = raw.parse_error.as_deref().unwrap_or_default(),
                "user.created data did not fit the typed model; reading the email address from the raw data"
            );
            Ok(Recipient::from_raw_data(&raw.data))
        }
        _ => Err("not a user.created event"),
    }
}
