//! ARNs built where a record names a resource without one: by SQS queue
//! URL, SSM resource type and id, or EC2 id.

use warden_shared::arn::{self, Arn};

/// `https://sqs.<region>.amazonaws.com/<account>/<name>` (or any host, as
/// emulators answer) → the queue's ARN.
pub fn queue_arn(partition: &str, region: &str, url: &str) -> Option<String> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut parts = path.trim_end_matches('/').rsplit('/');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let account = parts.next().filter(|a| arn::is_account_id(a))?;
    Some(format!("arn:{partition}:sqs:{region}:{account}:{name}"))
}

/// A queue's URL from its ARN, as SQS answers `GetQueueUrl`.
pub(super) fn queue_url(arn: &Arn<'_>) -> String {
    let domain = if arn.partition == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!(
        "https://sqs.{}.{domain}/{}/{}",
        arn.region, arn.account, arn.resource
    )
}

/// SSM's `resourceType`/`resourceId` → the resource's ARN, for the types
/// that have one.
pub(super) fn ssm_arn(
    partition: &str,
    region: &str,
    account: &str,
    kind: &str,
    id: &str,
) -> Option<String> {
    if id.starts_with("arn:") {
        return Some(id.to_string());
    }
    let resource = match kind {
        // `/app/db-url` → `parameter/app/db-url`; `db-url` → `parameter/db-url`.
        "Parameter" => format!("parameter/{}", id.trim_start_matches('/')),
        "Document" => format!("document/{id}"),
        "MaintenanceWindow" => format!("maintenancewindow/{id}"),
        "PatchBaseline" => format!("patchbaseline/{id}"),
        "OpsItem" => format!("opsitem/{id}"),
        "ManagedInstance" => format!("managed-instance/{id}"),
        "Automation" => format!("automation-execution/{id}"),
        "Association" => format!("association/{id}"),
        _ => return None,
    };
    Some(format!("arn:{partition}:ssm:{region}:{account}:{resource}"))
}

/// EC2 ids carry their resource type in their prefix.
pub(super) fn ec2_arn(partition: &str, region: &str, account: &str, id: &str) -> String {
    let kind = match id.split_once('-').map(|(prefix, _)| prefix) {
        Some("i") => "instance",
        Some("vol") => "volume",
        Some("snap") => "snapshot",
        Some("sg") => "security-group",
        Some("vpc") => "vpc",
        Some("subnet") => "subnet",
        Some("eni") => "network-interface",
        Some("igw") => "internet-gateway",
        Some("rtb") => "route-table",
        Some("acl") => "network-acl",
        Some("eipalloc") => "elastic-ip",
        Some("nat") => "natgateway",
        Some("lt") => "launch-template",
        Some("key") => "key-pair",
        Some("dopt") => "dhcp-options",
        Some("vpce") => "vpc-endpoint",
        Some("tgw") => "transit-gateway",
        // AMIs are regional but have no owner account in their ARN.
        Some("ami") => return format!("arn:{partition}:ec2:{region}::image/{id}"),
        _ => "resource",
    };
    format!("arn:{partition}:ec2:{region}:{account}:{kind}/{id}")
}
