//! A handler cannot reach for the production world or its parts: effects-real is not a dependency.

use effects::Effects;

async fn handler<E: Effects>(_fx: &E) {
    let _now = effects_real::SystemClock;
}

fn main() {}
