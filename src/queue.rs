//! The bounded in-process email queue and the worker that sends from it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mailgun_lite::{Client, ErrorKind};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::email::WelcomeEmail;

/// The default number of emails the queue holds.
pub const DEFAULT_QUEUE_CAPACITY: usize = 1024;

/// How long a shutdown waits for queued emails to be sent.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The sending side of the queue. Cheap to clone.
#[derive(Clone, Debug)]
pub struct EmailQueue {
    sender: mpsc::Sender<WelcomeEmail>,
    capacity: usize,
}

/// The reason an email could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnqueueError {
    /// The queue is full, so the webhook gets 503 and Kinde redelivers later.
    Full,
    /// The app is shutting down.
    Closed,
}

/// The task that sends queued emails, one at a time, with mailgun-lite's retries.
#[derive(Debug)]
pub struct EmailWorker {
    shutdown: watch::Sender<Option<Instant>>,
    task: JoinHandle<DrainReport>,
    sent: Arc<AtomicUsize>,
}

/// The result of a shutdown drain.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    /// The emails sent during the drain.
    pub sent: usize,
    /// The event ids whose emails were left unsent when the drain time ran out.
    pub unsent: Vec<String>,
}

/// Starts the worker and returns the queue that feeds it.
pub fn start(client: Client, capacity: usize) -> (EmailQueue, EmailWorker) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    let (shutdown, shutdown_signal) = watch::channel(None);
    let sent = Arc::new(AtomicUsize::new(0));

    let task = tokio::spawn(run(client, receiver, shutdown_signal, Arc::clone(&sent)));
    let queue = EmailQueue {
        sender,
        capacity: capacity.max(1),
    };
    (
        queue,
        EmailWorker {
            shutdown,
            task,
            sent,
        },
    )
}

impl EmailQueue {
    /// Queues an email without waiting.
    pub fn try_enqueue(&self, email: WelcomeEmail) -> Result<(), EnqueueError> {
        self.sender.try_send(email).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => EnqueueError::Full,
            mpsc::error::TrySendError::Closed(_) => EnqueueError::Closed,
        })
    }

    /// Returns how many emails wait in the queue.
    pub fn depth(&self) -> usize {
        self.capacity - self.sender.capacity()
    }

    /// Returns the maximum number of emails the queue holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl EmailWorker {
    /// Returns how many emails Mailgun accepted so far.
    pub fn sent_count(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }

    /// Stops taking new emails and sends what is queued, for at most
    /// `timeout`. Each email left unsent is logged at `error` with its event id.
    pub async fn drain(self, timeout: Duration) -> DrainReport {
        let deadline = Instant::now() + timeout;
        // Fails only if the worker already ended; the join below reports that.
        let _ = self.shutdown.send(Some(deadline));

        match self.task.await {
            Ok(report) => report,
            Err(error) => {
                tracing::error!(error = %error, "the email worker ended abnormally");
                DrainReport::default()
            }
        }
    }
}

/// Sends queued emails until a shutdown deadline is set, then sends what is
/// left until the deadline passes. An email whose send is still running at
/// the deadline counts as unsent.
async fn run(
    client: Client,
    mut receiver: mpsc::Receiver<WelcomeEmail>,
    mut shutdown: watch::Receiver<Option<Instant>>,
    sent: Arc<AtomicUsize>,
) -> DrainReport {
    let mut report = DrainReport::default();

    while let Some(email) = next_email(&mut receiver, &mut shutdown).await {
        let event_id = email.event_id.clone();
        let outcome = tokio::select! {
            delivered = send(&client, &email, &sent) => Some(delivered),
            () = deadline_passed(shutdown.clone()) => None,
        };

        match outcome {
            Some(true) if shutdown.borrow().is_some() => report.sent += 1,
            Some(_) => {}
            None => {
                report.unsent.push(event_id);
                break;
            }
        }
    }

    receiver.close();
    while let Ok(email) = receiver.try_recv() {
        report.unsent.push(email.event_id);
    }
    for event_id in &report.unsent {
        tracing::error!(event_id = %event_id, "welcome email left unsent at shutdown");
    }
    tracing::info!(
        sent = report.sent,
        unsent = report.unsent.len(),
        "email queue drained"
    );
    report
}

/// Returns the next queued email, or `None` once the queue is closed and
/// empty or the shutdown deadline has passed.
async fn next_email(
    receiver: &mut mpsc::Receiver<WelcomeEmail>,
    shutdown: &mut watch::Receiver<Option<Instant>>,
) -> Option<WelcomeEmail> {
    loop {
        let deadline = *shutdown.borrow_and_update();
        if let Some(deadline) = deadline {
            if !receiver.is_closed() {
                receiver.close();
                tracing::info!(queued = receiver.len(), "draining the email queue");
            }
            return tokio::time::timeout_at(deadline, receiver.recv())
                .await
                .ok()
                .flatten();
        }

        tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() {
                    // The worker handle was dropped without a drain: stop now.
                    return None;
                }
            }
            email = receiver.recv() => return email,
        }
    }
}

/// Completes when a shutdown deadline is set and has passed.
async fn deadline_passed(mut shutdown: watch::Receiver<Option<Instant>>) {
    loop {
        let deadline = *shutdown.borrow_and_update();
        if let Some(deadline) = deadline {
            tokio::time::sleep_until(deadline).await;
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

/// The longest the worker waits when Mailgun's rate limit requests a wait
/// longer than mailgun-lite's own retries cover. The whole queue waits,
/// because every send would hit the same limit.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(15 * 60);

/// How many rate-limit waits one email gets before it is dropped.
pub const MAX_RATE_LIMIT_WAITS: u32 = 4;

/// Sends one email and logs the outcome, waiting out long rate limits.
/// Returns whether Mailgun accepted it.
async fn send(client: &Client, email: &WelcomeEmail, sent: &AtomicUsize) -> bool {
    let mut waits = 0;
    loop {
        let error = match client.send(&email.message).await {
            Ok(accepted) => {
                sent.fetch_add(1, Ordering::SeqCst);
                tracing::info!(event_id = %email.event_id, mailgun_id = %accepted.id(), "welcome email sent");
                return true;
            }
            Err(error) => error,
        };

        if error.kind() == ErrorKind::RateLimited && waits < MAX_RATE_LIMIT_WAITS {
            waits += 1;
            let wait = error
                .retry_after()
                .unwrap_or(Duration::from_secs(60))
                .min(MAX_RATE_LIMIT_WAIT);
            tracing::warn!(event_id = %email.event_id, wait_secs = wait.as_secs(), wait_number = waits, "Mailgun rate limit reached; the email queue waits before sending again");
            tokio::time::sleep(wait).await;
            continue;
        }

        tracing::error!(
            event_id = %email.event_id,
            status = ?error.status().map(|status| status.as_u16()),
            error = %error,
            "welcome email not sent"
        );
        return false;
    }
}
