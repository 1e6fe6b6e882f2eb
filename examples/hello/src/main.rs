//! Run with: cargo run -p example-hello
//!
//! A skeleton: the REST service template arrives with the examples issue.

fn main() {
    println!("example-hello: not yet implemented; see the examples issue");
}
