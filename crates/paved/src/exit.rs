//! Exit codes (§4): 0 ok, 1 failure, 2 bad usage or bad input.

use std::process::ExitCode;

/// The command's input (arguments, files, configuration) is wrong; exit 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Exit code 2: bad usage or bad input.
pub const BAD_INPUT: u8 = 2;
/// Exit code 1: the command failed.
pub const FAILURE: u8 = 1;

/// Prints `error` with its whole cause chain and picks the exit code: 2 when
/// the cause is bad input, 1 otherwise; a closed stdout ends quietly with 0.
pub fn report(error: &anyhow::Error) -> ExitCode {
    // The reader of our output has gone (`| head`): nothing to report.
    if error.chain().any(|cause| cause.is::<crate::output::StdoutClosed>()) {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {error:#}");
    let bad_input = error.chain().any(|cause| {
        cause.is::<BadInput>()
            || cause.downcast_ref::<paved_store::StoreError>().is_some_and(paved_store::StoreError::is_bad_input)
            || cause.downcast_ref::<paved_app::AppError>().is_some_and(paved_app::AppError::is_bad_input)
    });
    ExitCode::from(if bad_input { BAD_INPUT } else { FAILURE })
}
