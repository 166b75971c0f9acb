//! The welcome app on axum. With no KINDE_*, MAILGUN_* or WELCOME_* variable
//! set (or with `--demo`), it runs a complete local demo.
//!
//! `cargo run --example welcome`

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match kinde_welcome::main_with(kinde_welcome::Framework::Axum).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
