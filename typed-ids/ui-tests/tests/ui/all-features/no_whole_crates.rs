//! With every feature on, typed-ids still re-exports no crate whole: the `id!` macro's support module holds only
//! the traits the expansion names, and `typed_ids::uuid` only `Uuid` and `Version`. Code that may depend on
//! typed-ids but not on sqlx, axum or uuid (the effects handler crates) cannot reach them through it.

fn main() {
    let _ = typed_ids::__private::sqlx::query("SELECT 1");
    let _ = typed_ids::__private::sqlx::SqlitePool::connect_lazy("sqlite::memory:");
    let _ = typed_ids::__private::axum::serve;
    let _ = typed_ids::uuid::Builder::from_random_bytes([0; 16]);
    let _ = typed_ids::uuid::Timestamp::now(typed_ids::uuid::NoContext);
}
