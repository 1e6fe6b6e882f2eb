//! Run with: cargo run -p example-shop
//!
//! A skeleton: the REST service template arrives with the examples issue.

fn main() {
    println!("example-shop: not yet implemented; see the examples issue");
}
