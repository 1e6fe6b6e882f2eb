//! A handler written against the capabilities alone builds, and runs in the sandbox.

use effects::{Cache, Clock, Effects, Events};

async fn greet<E: Effects>(fx: &E, name: &str) -> String {
    let key = format!("greeting:{name}");
    if let Ok(Some(hit)) = fx.cache().get::<String>(&key).await {
        return hit;
    }
    let greeting = format!("hello {name} at {}", fx.clock().now());
    let _ = fx.cache().set(&key, &greeting, 60).await;
    fx.events().info("greeted", vec![("name", name.to_owned())]);
    greeting
}

fn main() {
    let sandbox = effects::sandbox::Sandbox::new(1);
    let greeting = sandbox.run(greet(&sandbox, "ada"));
    assert_eq!(greeting, "hello ada at t=1700000000000");
}
