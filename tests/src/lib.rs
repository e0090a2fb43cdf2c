//! Warden's test harness.
// A failed expectation in the harness is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
//!
//! Functions are tested the way they run in AWS: as real binaries driven
//! through the Lambda Runtime API ([`run_function`]), talking to AWS services
//! emulated by moto ([`moto()`]). Nothing here touches a real AWS account:
//! credentials and endpoints are always the emulator's.

pub mod alerts;
pub mod aws;
pub mod buckets;
pub mod error;
pub mod faults;
pub mod fixtures;
pub mod iam;
pub mod kit;
pub mod moto;
pub mod paths;
pub mod runtime_api;
pub mod sam_local;
pub mod seed;
pub mod state;
pub mod template;

pub use alerts::Alerts;
pub use aws::{lambda_env, s3, sdk_config};
pub use error::HarnessError;
pub use moto::{Moto, moto, start_private, start_private_on, start_private_with_env};
pub use paths::{venv_bin, workspace_root};
pub use runtime_api::{
    FunctionRun, Invocation, InvocationResult, Timings, parse_log_lines, run_function,
    run_function_with_timeout,
};
pub use sam_local::SamLocal;
