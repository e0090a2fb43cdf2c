//! sweeper: every guard's standing rules over every existing resource, on a
//! schedule. Events only fire on change, and EventBridge delivers CloudTrail
//! events on a best-effort basis: what existed before Warden was deployed,
//! and what an event missed, is found here.
//!
//! - [`list`] lists what exists, page by page (buckets per region, IAM
//!   users in the partition's home region, trails at home, everything the
//!   Tagging API lists);
//! - [`sweep::Sweeper`] hands each resource to its guard's own pipeline on
//!   the resource path ([`warden_shared::Pipeline::check_resource`]): the
//!   same read, rules, exemptions, mode, read-back, record and notify as an
//!   event, in the sweep's own mode, with no copy of any rule;
//! - [`shard`] is how a sweep is split (one shard per region × resource
//!   type, a cursor where it stopped) and asked for; [`summary`] what it
//!   came to; [`settings`] its settings; [`runtime`] the Lambda entry point.
//!
//! The scheduled invocation plans the shards onto the sweep queue; the
//! function consumes them from there with bounded concurrency and a time
//! budget, sending a shard's continuation back to the queue when the
//! deadline nears. `{"sweep": {"inline": true}}` runs a sweep in one
//! invocation and returns its summary.

pub mod list;
pub mod permissions;
pub mod runtime;
pub mod settings;
pub mod shard;
pub mod summary;
pub mod sweep;

pub use settings::SweepSettings;
pub use shard::{Continuation, Cursor, ResourceType, Shard, SweepRequest};
pub use summary::{Summary, SweepStatus};
pub use sweep::{Invocation, Sweeper};
