//! What the warden-local binaries share: how each one turns its command line
//! into arguments or an exit code, and how it ends when a run cannot finish.

use std::process::ExitCode;

/// The arguments `parsed` from a binary's command line, or the exit code to
/// stop with at once: success after `--help` (`Ok(None)`) has printed
/// `usage`, 2 after a usage error has been printed with it.
pub fn args_or_exit<A>(
    program: &str,
    usage: &str,
    parsed: Result<Option<A>, String>,
) -> Result<A, ExitCode> {
    match parsed {
        Ok(Some(args)) => Ok(args),
        Ok(None) => {
            println!("{usage}");
            Err(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("{program}: {message}\n\n{usage}");
            Err(ExitCode::from(2))
        }
    }
}

/// The exit code of a run that could not finish, once `message` says why.
pub fn failed(program: &str, message: &str) -> ExitCode {
    eprintln!("\n{program}: FAILED: {message}");
    ExitCode::FAILURE
}
