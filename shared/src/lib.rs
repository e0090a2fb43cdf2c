//! Warden's shared library: everything a guard does that is not its own rules.
//!
//! - [`event`]: a lenient model of CloudTrail events from EventBridge;
//! - [`config`]: typed configuration read once at start-up;
//! - [`guard`] and [`rule`]: what a guard supplies (a pure half with its
//!   rules as units, an adapter for I/O) and how rules are run;
//! - [`identity`] and [`exempt`]: Warden's own calls and exempt resources;
//! - [`pipeline`]: the event path and the resource path through read,
//!   evaluate, plan, apply by mode, read-back and record;
//! - [`outcome`]: the JSON contract every check returns;
//! - [`record`]: SNS alerts and CloudWatch metrics (EMF);
//! - [`aws`], [`error`], [`arn`]: AWS clients, errors sorted once and naming
//!   the missing permission, ARNs;
//! - [`detect`], [`mask`]: sensitive-value detectors and masking;
//! - [`runtime`]: the Lambda entry point.

pub mod arn;
pub mod aws;
pub mod config;
pub mod detect;
pub mod detection;
pub mod error;
pub mod event;
pub mod exempt;
pub mod guard;
pub mod identity;
pub mod mask;
pub mod outcome;
pub mod pipeline;
pub mod record;
pub mod rule;
pub mod runtime;
pub mod signed;
pub mod sinks;
pub mod state;

pub use config::{Config, ConfigError, Env, IacChanges, Mode};
pub use error::{AwsCall, GuardError};
pub use event::{CloudTrailEvent, EventError};
pub use exempt::Exemption;
pub use guard::{Adapter, Applied, Check, Composed, Guard, Input, Reading, Resource, Snapshot};
pub use outcome::{Change, Finding, Outcome, Severity, Status, Trigger};
pub use pipeline::Pipeline;
pub use record::Context;
pub use rule::{Assessment, Calls, Found, Meta, Planned, Remedy, Rule, RuleSpec, Scope};
