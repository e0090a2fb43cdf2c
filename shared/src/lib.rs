//! Warden's shared library: everything a guard does that is not its own rules.
//!
//! - [`event`]: a lenient model of CloudTrail events from EventBridge;
//! - [`config`]: typed configuration read once at start-up;
//! - [`identity`] and [`exempt`]: Warden's own calls and exempt resources;
//! - [`pipeline`]: parse, skip, read, evaluate, plan, apply by mode, record;
//! - [`outcome`]: the JSON contract every invocation returns;
//! - [`record`]: SNS alerts and CloudWatch metrics (EMF);
//! - [`aws`], [`error`], [`arn`]: AWS clients, errors that name the missing
//!   permission, partition-aware ARNs;
//! - [`runtime`]: the Lambda entry point.

pub mod arn;
pub mod aws;
pub mod config;
pub mod detect;
pub mod detection;
pub mod error;
pub mod event;
pub mod exempt;
pub mod identity;
pub mod mask;
pub mod outcome;
pub mod pipeline;
pub mod record;
pub mod runtime;

pub use config::{Config, ConfigError, Env, Mode};
pub use error::{AwsCall, GuardError};
pub use event::{CloudTrailEvent, EventError};
pub use exempt::Exemption;
pub use outcome::{Change, Finding, Outcome, Severity, Status};
pub use pipeline::{Assessment, Guard, Pipeline, Planned, Snapshot};
