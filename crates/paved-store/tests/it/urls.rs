//! Connection errors name the database without its password.

use paved_store::{PostgresStore, StoreError};

#[tokio::test]
async fn an_unreachable_postgres_is_reported_without_its_password() {
    // Port 1 on the loopback interface: nothing listens there.
    let err = PostgresStore::connect("postgres://paved:s3cret@127.0.0.1:1/paved").await.expect_err("nothing listens");
    assert!(matches!(err, StoreError::PostgresConnect { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("postgres://paved:***@127.0.0.1:1/paved"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
    assert!(message.contains("is the server running"), "{message}");
    assert!(message.contains("refused"), "the cause is shown, not only a timeout: {message}");
}
