//! The decision for each verified event: queue a welcome email or ignore it.

use std::sync::Arc;

use kinde_webhook::{Event, EventData};

use crate::config::WelcomeSettings;
use crate::email::welcome_email;
use crate::queue::{EmailQueue, EnqueueError};

/// What the app did with a verified event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A welcome email was queued. Answer 200.
    Queued,
    /// Nothing to send, for the reason given. Answer 200 so Kinde stops retrying.
    Ignored(&'static str),
    /// The queue is full or closing. Answer 503 so Kinde redelivers later.
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
            Outcome::Queued => tracing::info!(event_id = %event.event_id, "welcome email queued"),
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
        let EventData::UserCreated(data) = &event.data else {
            return Outcome::Ignored("not a user.created event");
        };
        if !self.settings.sources.contains(&event.source) {
            return Outcome::Ignored("the event source is not in WELCOME_SOURCES");
        }
        let Some(email) = welcome_email(event, &data.user, &self.settings) else {
            return Outcome::Ignored("the user has no email address");
        };

        match self.queue.try_enqueue(email) {
            Ok(()) => Outcome::Queued,
            Err(EnqueueError::Full | EnqueueError::Closed) => Outcome::Unavailable,
        }
    }
}
