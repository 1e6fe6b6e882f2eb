//! A handler cannot draw from an ambient random generator: only Effects::random().

use effects::Effects;

fn handler<E: Effects>(_fx: &E) -> u64 {
    rand::random::<u64>()
}

fn main() {}
