//! The welcome app on actix-web, with the same configuration, email and queue
//! code as the axum variant.
//!
//! `cargo run --example welcome_actix`

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match kinde_welcome::main_with(kinde_welcome::Framework::Actix).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
