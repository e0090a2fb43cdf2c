//! The sweep's part of the local run: an account planted in its own moto
//! before any event (buckets, users, trails, tagged resources), swept by the
//! real sweeper binary in observe mode (it must find every planted
//! violation and change nothing), then in remediate mode (every fixable one
//! fixed, read back with the SDK), then once more (nothing written).

use serde_json::Value;
use std::path::Path;

use crate::sweep_world::{self as world, World, expected, inline, plant, snapshot, timeless};

/// Runs the sweep part; prints what it found and returns whether it held.
pub(crate) async fn run(binary: &Path) -> Result<bool, String> {
    let world = World::start().await;
    println!(
        "moto for the sweep: {} (private; stopped on exit)",
        world.moto.endpoint()
    );
    let planted = plant(&world, "local").await;
    let tagged = world.tagged_arns().await.len();
    let before = snapshot(&world, &planted).await;
    let mut problems = Vec::new();

    let mut answers = Vec::new();
    for (mode, id) in [
        ("observe", "local-observe"),
        ("remediate", "local-remediate"),
        ("remediate", "local-again"),
    ] {
        world.proxy.clear();
        let (answer, run) = world::sweep_with(binary, &world.env(mode, &[]), &[inline(id)]).await;
        let summary = answer
            .into_iter()
            .next()
            .ok_or_else(|| format!("no answer; stderr:\n{}", run.stderr))?;
        let writes = world.writes();
        answers.push((mode, id, timeless(summary), writes));
    }
    let want = [
        expected("local-observe", Some("observed"), "observed", tagged),
        expected("local-remediate", Some("remediated"), "notified", tagged),
        expected("local-again", None, "notified", tagged),
    ];
    for ((mode, id, got, writes), want) in answers.iter().zip(&want) {
        println!(
            "  {id} ({mode}): checked {} findings {} errors {}",
            got["checked"], got["by_rule"], got["errors"]
        );
        if got != want {
            problems.push(format!("{id} summarised {got}, expected {want}"));
        }
        if *id != "local-remediate" && !writes.is_empty() {
            problems.push(format!("{id} wrote {writes:?}; it must write nothing"));
        }
    }
    let after = snapshot(&world, &planted).await;
    for b in &planted.violating {
        let fixed = &after["buckets"][b];
        println!(
            "  {b}: encryption {} -> {}, Block Public Access {} -> {}",
            before["buckets"][b]["encryption"],
            fixed["encryption"],
            before["buckets"][b]["pab"],
            fixed["pab"]
        );
        if fixed["encryption"] == Value::Null || fixed["pab"] == before["buckets"][b]["pab"] {
            problems.push(format!("{b} was not fixed: {fixed}"));
        }
    }
    println!(
        "  {}: quarantine {} -> {}",
        planted.user_without_mfa, before["quarantined"], after["quarantined"]
    );
    println!(
        "  {}: tags {} -> {}",
        planted.pii_topic, before["pii_tags"], after["pii_tags"]
    );
    if after["quarantined"].as_array().is_none_or(Vec::is_empty) {
        problems.push(format!("{} was not quarantined", planted.user_without_mfa));
    }
    if after["pii_tags"] == before["pii_tags"] {
        problems.push(format!(
            "{}'s e-mail tag was not redacted",
            planted.pii_topic
        ));
    }
    let what = "(observe found every planted violation and changed nothing; remediate fixed them; a second sweep wrote nothing)";
    Ok(super::verdict(
        "sweeper",
        &problems,
        &format!("held {what}"),
        &format!("did not hold {what}"),
    ))
}
