//! sqlx: IDs encode and decode as their raw value. SQLite in memory; Postgres only has
//! to type-check (no server here).

use sqlx::{Connection, Row, SqliteConnection};
use typed_ids::uuid::Uuid;
use typed_ids::{Error, ShortStr};

use crate::ids::*;

async fn memory() -> SqliteConnection {
    let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
    sqlx::query("CREATE TABLE rows (customer INTEGER, ledger INTEGER, seat INTEGER, ord BLOB, sku TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

#[tokio::test]
async fn sqlite_round_trips_every_repr() {
    let mut conn = memory().await;
    let customer = CustomerId::new(i64::MAX as u64);
    let ledger = LedgerEntryId::new(i64::MIN);
    let seat = SeatId::new(u32::MAX);
    let order = OrderId::new(SPEC_UUID);
    let sku = Sku::new(ShortStr::from_static("MUG_12"));
    sqlx::query("INSERT INTO rows VALUES (?, ?, ?, ?, ?)")
        .bind(customer)
        .bind(ledger)
        .bind(seat)
        .bind(order)
        .bind(sku)
        .execute(&mut conn)
        .await
        .unwrap();

    let row: (CustomerId, LedgerEntryId, SeatId, OrderId, Sku) =
        sqlx::query_as("SELECT customer, ledger, seat, ord, sku FROM rows").fetch_one(&mut conn).await.unwrap();
    assert_eq!(row, (customer, ledger, seat, order, sku));

    // Stored as the raw value, so SQL sees plain numbers, bytes and text.
    let raw = sqlx::query("SELECT customer, ledger, seat, ord, sku FROM rows").fetch_one(&mut conn).await.unwrap();
    assert_eq!(raw.get::<i64, _>(0), i64::MAX);
    assert_eq!(raw.get::<i64, _>(1), i64::MIN);
    assert_eq!(raw.get::<i64, _>(2), i64::from(u32::MAX));
    assert_eq!(raw.get::<Uuid, _>(3), SPEC_UUID);
    assert_eq!(raw.get::<String, _>(4), "MUG_12");
}

#[tokio::test]
async fn where_clauses_bind_ids() {
    let mut conn = memory().await;
    for n in 1..=3 {
        sqlx::query("INSERT INTO rows (customer) VALUES (?)")
            .bind(CustomerId::new(n))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let found: Option<(CustomerId,)> = sqlx::query_as("SELECT customer FROM rows WHERE customer = ?")
        .bind(CustomerId::new(2))
        .fetch_optional(&mut conn)
        .await
        .unwrap();
    assert_eq!(found, Some((CustomerId::new(2),)));
}

#[tokio::test]
async fn u64_above_i64_max_fails_to_encode_with_overflow() {
    let id = CustomerId::new(u64::MAX);
    let mut buf = <sqlx::Sqlite as sqlx::Database>::ArgumentBuffer::default();
    let Err(source) = sqlx::Encode::<sqlx::Sqlite>::encode_by_ref(&id, &mut buf) else {
        panic!("u64::MAX must not encode");
    };
    let typed = source.downcast_ref::<Error>();
    assert!(matches!(typed, Some(Error::Overflow { id_type: "CustomerId", .. })), "{source:?}");

    // sqlx keeps only the message of a bind error; it is the typed error's message.
    let mut conn = memory().await;
    let err = sqlx::query("INSERT INTO rows (customer) VALUES (?)").bind(id).execute(&mut conn).await.unwrap_err();
    let sqlx::Error::Encode(message) = err else { panic!("expected an encode error, got {err:?}") };
    // The range is what the column can hold, not the ID.
    let expected = "invalid CustomerId \"18446744073709551615\": expected a whole number from 0 to \
                    9223372036854775807, found a number out of that range";
    assert!(message.to_string().ends_with(expected), "{message}");
}

#[tokio::test]
async fn stored_values_out_of_range_fail_to_decode_with_typed_errors() {
    let mut conn = memory().await;
    sqlx::query("INSERT INTO rows (customer, seat, sku) VALUES (-1, 4294967296, 'not ok')")
        .execute(&mut conn)
        .await
        .unwrap();
    let row = sqlx::query("SELECT customer, seat, sku FROM rows").fetch_one(&mut conn).await.unwrap();

    let decode_error = |err: sqlx::Error| match err {
        sqlx::Error::ColumnDecode { source, .. } => source.downcast::<Error>().map(|e| *e).unwrap(),
        other => panic!("expected a decode error, got {other:?}"),
    };
    let customer = decode_error(row.try_get::<CustomerId, _>(0).unwrap_err());
    assert!(matches!(customer, Error::Overflow { id_type: "CustomerId", .. }), "{customer:?}");
    let seat = decode_error(row.try_get::<SeatId, _>(1).unwrap_err());
    assert!(matches!(seat, Error::Overflow { id_type: "SeatId", .. }), "{seat:?}");
    assert_eq!(
        seat.to_string(),
        "invalid SeatId \"4294967296\": expected a whole number from 0 to 4294967295, found a number out of that range"
    );
    let sku = decode_error(row.try_get::<Sku, _>(2).unwrap_err());
    assert!(matches!(sku, Error::InvalidDigit { id_type: "Sku", .. }), "{sku:?}");
}

/// Postgres: the same types encode and decode; checked by the compiler only.
#[allow(dead_code)]
fn postgres_types_check() {
    fn codec<T>()
    where
        T: sqlx::Type<sqlx::Postgres>
            + for<'q> sqlx::Encode<'q, sqlx::Postgres>
            + for<'r> sqlx::Decode<'r, sqlx::Postgres>,
    {
    }
    codec::<CustomerId>();
    codec::<LedgerEntryId>();
    codec::<SeatId>();
    codec::<OrderId>();
    codec::<Sku>();

    async fn query(pool: &sqlx::PgPool) -> Result<Vec<(CustomerId, OrderId)>, sqlx::Error> {
        sqlx::query_as("SELECT customer, ord FROM rows WHERE customer = $1")
            .bind(CustomerId::new(1))
            .fetch_all(pool)
            .await
    }
    let _ = query;
}
