//! What the detection benchmarks share: the 50-tag event they scan.

/// 50 tags as they appear on real resources: mostly clean, a few with
/// findings (an email, an account id, an access key id, credentials in a
/// URL); the account ids inside its ARNs and ECR image are identifiers, not
/// findings. Shared with tag-guard's evaluate benchmark.
pub(crate) fn fifty_tags() -> Vec<(String, String)> {
    let list: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../fifty-tags.json")).expect("fifty-tags.json is JSON");
    list.iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_string(),
                t["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
