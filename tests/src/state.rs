//! The state table on the emulator: created with the template's key schema,
//! read back through Warden's own [`StateTable`].

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use warden_shared::state::{CHANGE_INDEX, StateSettings, StateTable};

/// Creates a state table called `name` as `WardenStateTable` in
/// template.yaml is (keys `pk`/`sk`, the `by-change-id` index) and returns
/// its name, for `WARDEN_STATE_TABLE`.
pub async fn create_table(config: &SdkConfig, name: &str) -> String {
    let client = aws_sdk_dynamodb::Client::new(config);
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("an attribute definition")
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("a key element")
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(CHANGE_INDEX)
        .key_schema(key("change_id", KeyType::Hash))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .expect("an index");
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .attribute_definitions(attribute("change_id"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(index)
        .send()
        .await
        .expect("CreateTable");
    name.to_string()
}

/// Warden's own view of the table called `name`, with default settings.
pub fn table(config: &SdkConfig, name: &str) -> StateTable {
    let settings = StateSettings::from_env(&[(StateSettings::TABLE, name)][..])
        .expect("valid settings")
        .expect("a table");
    StateTable::new(aws_sdk_dynamodb::Client::new(config), settings)
}
