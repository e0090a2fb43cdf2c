//! The IAM actions a sweep needs, from the guards' own rules: what each
//! check reads for every target, the reads of the rules that run on the
//! resource path, their fixes only when the sweep remediates, and the
//! listings. The template's role is tested against this list.

use crate::list::LISTINGS;
use crate::sweep::{SEND_MESSAGE, SEND_MESSAGE_BATCH};
use warden_shared::{Guard, Scope};

/// A guard's calls on the resource path: every read its adapter makes (the
/// reads of all its rules, since one read serves them all, and the tags
/// read for exemptions), and the fixes of the rules that run on the
/// resource path if `fixes`.
pub fn standing<G: Guard>(guard: &G, fixes: bool) -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = G::READS.iter().map(|c| c.permission).collect();
    for rule in guard.rules() {
        let calls = rule.calls();
        actions.extend(calls.reads.iter().map(|c| c.permission));
        if fixes && rule.scope() == Scope::Standing {
            actions.extend(calls.fixes.iter().map(|c| c.permission));
        }
    }
    actions.sort_unstable();
    actions.dedup();
    actions
}

/// The sweep's own calls: the listings and the queue it plans onto and
/// sends continuations to (receiving is the event source mapping's, which
/// uses the function's role too).
pub fn own() -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = LISTINGS.iter().map(|c| c.permission).collect();
    actions.extend([SEND_MESSAGE.permission, SEND_MESSAGE_BATCH.permission]);
    actions.extend([
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    ]);
    actions.sort_unstable();
    actions.dedup();
    actions
}
