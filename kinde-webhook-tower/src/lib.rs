//! kinde-webhook-tower: placeholder, filled in by its own work item.
