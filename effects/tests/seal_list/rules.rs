//! What the handler clippy list bans, as rules over std's modules rather than a list of names: a module is
//! banned whole, or each of its items is classified (an item in neither list fails the check, so an item std
//! adds is looked at before the list is regenerated). The reasons are what clippy prints under each refusal.

/// Why a family of items is banned; clippy prints `reason` with each refusal.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct Category {
    /// The comment above the family's entries.
    pub(crate) title: &'static str,
    /// What clippy prints with each refusal.
    pub(crate) reason: &'static str,
}

pub(crate) const CLOCK: Category = Category { title: "the clock", reason: "read time through Effects::clock()" };
pub(crate) const DISK: Category = Category { title: "the disk", reason: "handlers do not touch the file system" };
pub(crate) const NETWORK: Category = Category {
    title: "the network",
    reason: "call out through Effects::outbound(); handlers do not open sockets or resolve names",
};
pub(crate) const ENVIRONMENT: Category =
    Category { title: "the environment", reason: "configuration is passed in, not read from the process environment" };
pub(crate) const PROCESSES: Category =
    Category { title: "processes", reason: "handlers do not start, inspect or end processes" };
pub(crate) const THREADS: Category = Category {
    title: "threads",
    reason: "handlers do not start, park or inspect threads: they wait through Clock::sleep",
};
pub(crate) const STREAMS: Category = Category {
    title: "the standard streams",
    reason: "log through Effects::events(); handlers do not use the process's stdin, stdout or stderr",
};
pub(crate) const RANDOMNESS: Category = Category {
    title: "randomness and addresses",
    reason: "different in every process: draw randomness from Effects::random()",
};
pub(crate) const HASH_ORDER: Category = Category {
    title: "hash-ordered iteration",
    reason: "RandomState orders a HashMap differently in every process: use BTreeMap/BTreeSet, or \
             effects::collections::{HashMap, HashSet} (fixed hasher)",
};
pub(crate) const GLOBAL_STATE: Category = Category {
    title: "global mutable state",
    reason: "global state carries over from one run to the next in the process (a static, a thread-local, a \
             panic hook): keep state in the store; build a local atomic or lock with Default::default() or From",
};
pub(crate) const UUID: Category = Category {
    title: "uuid constructors that read the OS clock or randomness",
    reason: "reads the system clock or OS randomness: make IDs with Effects::new_id()",
};

/// A module banned whole: every function, struct, enum and trait (with all their methods) and macro.
pub(crate) struct Whole {
    /// The module's path under std, `/`-separated as in the docs (`os/unix/net`).
    pub(crate) module: &'static str,
    /// Why.
    pub(crate) category: Category,
}

pub(crate) const WHOLE: &[Whole] = &[
    Whole { module: "fs", category: DISK },
    Whole { module: "os/unix/fs", category: DISK },
    Whole { module: "os/linux/fs", category: DISK },
    Whole { module: "os/fd", category: DISK },
    Whole { module: "os/unix/net", category: NETWORK },
    Whole { module: "os/linux/net", category: NETWORK },
    Whole { module: "env", category: ENVIRONMENT },
    Whole { module: "process", category: PROCESSES },
    Whole { module: "os/unix/process", category: PROCESSES },
    Whole { module: "os/linux/process", category: PROCESSES },
    Whole { module: "thread", category: THREADS },
    Whole { module: "os/unix/thread", category: THREADS },
    Whole { module: "os/unix/io", category: STREAMS },
    Whole { module: "random", category: RANDOMNESS },
    Whole { module: "backtrace", category: RANDOMNESS },
];

/// A module whose items are classified one by one. Banned types are banned with all their methods.
pub(crate) struct Classified {
    /// The module's path under std, `/`-separated (`""` for the crate root).
    pub(crate) module: &'static str,
    /// Why the banned items are banned.
    pub(crate) category: Category,
    /// The banned items.
    pub(crate) ban: &'static [&'static str],
    /// Why the rest is harmless.
    pub(crate) allowed_because: &'static str,
    /// The allowed items.
    pub(crate) allow: &'static [&'static str],
}

pub(crate) const CLASSIFIED: &[Classified] = &[
    Classified {
        module: "time",
        category: CLOCK,
        ban: &["Instant", "SystemTime", "SystemTimeError"],
        allowed_because: "durations are plain numbers; UNIX_EPOCH is a SystemTime, whose methods are banned",
        allow: &["Duration", "TryFromFloatSecsError", "UNIX_EPOCH"],
    },
    Classified {
        module: "net",
        category: NETWORK,
        ban: &["hostname", "Incoming", "IntoIncoming", "TcpListener", "TcpStream", "UdpSocket", "ToSocketAddrs"],
        allowed_because: "addresses are values: parsing and printing one opens nothing",
        allow: &[
            "IpAddr",
            "Ipv6MulticastScope",
            "Shutdown",
            "SocketAddr",
            "AddrParseError",
            "Ipv4Addr",
            "Ipv6Addr",
            "SocketAddrV4",
            "SocketAddrV6",
        ],
    },
    Classified {
        module: "io",
        category: STREAMS,
        ban: &[
            "stdin",
            "stdout",
            "stderr",
            "pipe",
            "Stdin",
            "StdinLock",
            "Stdout",
            "StdoutLock",
            "Stderr",
            "StderrLock",
            "PipeReader",
            "PipeWriter",
            "IsTerminal",
        ],
        allowed_because: "readers, writers and buffers over values the handler already has (a Vec, a slice)",
        allow: &[
            "ErrorKind",
            "SeekFrom",
            "copy",
            "empty",
            "read_to_string",
            "repeat",
            "sink",
            "const_error",
            "prelude",
            "BorrowedBuf",
            "BorrowedCursor",
            "BufReader",
            "BufWriter",
            "Bytes",
            "Chain",
            "Cursor",
            "Empty",
            "Error",
            "IntoInnerError",
            "IoSlice",
            "IoSliceMut",
            "LineWriter",
            "Lines",
            "Repeat",
            "Sink",
            "Split",
            "Take",
            "WriterPanicked",
            "BufRead",
            "Read",
            "Seek",
            "Write",
            "RawOsError",
            "Result",
        ],
    },
    Classified {
        module: "path",
        category: DISK,
        ban: &["absolute"],
        allowed_because: "paths are strings; the Path/PathBuf methods that ask the disk are banned one by one",
        allow: &[
            "MAIN_SEPARATOR",
            "MAIN_SEPARATOR_STR",
            "Component",
            "Prefix",
            "is_separator",
            "Ancestors",
            "Components",
            "Display",
            "Iter",
            "NormalizeError",
            "Path",
            "PathBuf",
            "PrefixComponent",
            "StripPrefixError",
        ],
    },
    Classified {
        module: "panic",
        category: GLOBAL_STATE,
        ban: &["set_hook", "take_hook", "update_hook", "set_backtrace_style", "get_backtrace_style", "always_abort"],
        allowed_because: "unwinding within the handler's own call",
        allow: &[
            "BacktraceStyle",
            "abort_unwind",
            "catch_unwind",
            "panic_any",
            "resume_unwind",
            "AssertUnwindSafe",
            "Location",
            "PanicHookInfo",
            "RefUnwindSafe",
            "UnwindSafe",
            "PanicInfo",
        ],
    },
    Classified {
        module: "hash",
        category: HASH_ORDER,
        ban: &["RandomState"],
        allowed_because: "DefaultHasher::new() and BuildHasherDefault hash the same in every process",
        allow: &["Hash", "BuildHasherDefault", "DefaultHasher", "SipHasher", "BuildHasher", "Hasher"],
    },
    Classified {
        module: "collections/hash_map",
        category: HASH_ORDER,
        ban: &["RandomState"],
        allowed_because: "entries and iterators of a map the handler may hold (with a fixed hasher)",
        allow: &[
            "Entry",
            "DefaultHasher",
            "Drain",
            "ExtractIf",
            "HashMap",
            "IntoIter",
            "IntoKeys",
            "IntoValues",
            "Iter",
            "IterMut",
            "Keys",
            "OccupiedEntry",
            "OccupiedError",
            "VacantEntry",
            "Values",
            "ValuesMut",
        ],
    },
];

/// Types banned by name only (not their methods), so that the same type with a fixed hasher, reached through
/// `effects::collections`, stays usable; their `RandomState` constructors are banned as methods.
pub(crate) const HASHED_TYPES: &[(&str, &str)] = &[("collections", "HashMap"), ("collections", "HashSet")];

/// Methods of allowed types that reach outside: `(module, type, pick)`.
pub(crate) const PATH_TYPES: &[(&str, &str)] = &[("path", "Path"), ("path", "PathBuf")];
pub(crate) const IO_ERROR_METHODS: &[&str] = &["last_os_error"];

/// Modules whose every struct has its `const` constructors banned: the only constructors a `static` can call,
/// so banning them bans global mutable state of these kinds (a local value uses `Default::default()`).
pub(crate) const SYNC_MODULES: &[&str] =
    &["sync", "sync/atomic", "sync/mpsc", "sync/mpmc", "sync/oneshot", "sync/nonpoison", "sync/poison"];

/// The crate root's `thread_local!`, which is global state rather than a stream.
pub(crate) const THREAD_LOCAL: Classified = Classified {
    module: "",
    category: GLOBAL_STATE,
    ban: &["thread_local"],
    allowed_because: "see ROOT_MACROS",
    allow: &[],
};

/// The crate root's macros.
pub(crate) const ROOT_MACROS: Classified = Classified {
    module: "",
    category: STREAMS,
    ban: &["print", "println", "eprint", "eprintln", "dbg"],
    allowed_because: "formatting, assertions and compile-time inputs (env!, include_str! are read when the crate \
                      builds, the same for every run)",
    allow: &[
        "assert",
        "assert_eq",
        "assert_matches",
        "assert_ne",
        "cfg",
        "cfg_select",
        "column",
        "compile_error",
        "concat",
        "concat_bytes",
        "const_format_args",
        "debug_assert",
        "debug_assert_eq",
        "debug_assert_matches",
        "debug_assert_ne",
        "env",
        "file",
        "format",
        "format_args",
        "include",
        "include_bytes",
        "include_str",
        "is_x86_feature_detected",
        "line",
        "log_syntax",
        "matches",
        "module_path",
        "option_env",
        "panic",
        "stringify",
        "todo",
        "trace_macros",
        "try",
        "unimplemented",
        "unreachable",
        "vec",
        "write",
        "writeln",
    ],
};

/// Every module of std (and of `std::os`, `std::os::unix`, `std::os::linux`, `std::collections`, `std::sync`)
/// that no rule above scans, with why it has no way out. A module std adds fails the check until it is placed.
pub(crate) const NO_WAY_OUT: &[(&str, &str, &[&str])] = &[
    (
        "",
        "values and algorithms: no OS access",
        &[
            "any",
            "array",
            "ascii",
            "async_iter",
            "autodiff",
            "borrow",
            "boxed",
            "bstr",
            "cell",
            "char",
            "clone",
            "cmp",
            "convert",
            "default",
            "error",
            "f128",
            "f16",
            "f32",
            "f64",
            "ffi",
            "fmt",
            "from",
            "future",
            "hint",
            "i128",
            "i16",
            "i32",
            "i64",
            "i8",
            "isize",
            "iter",
            "marker",
            "mem",
            "num",
            "ops",
            "option",
            "pat",
            "pin",
            "prelude",
            "primitive",
            "range",
            "rc",
            "result",
            "simd",
            "slice",
            "str",
            "string",
            "task",
            "u128",
            "u16",
            "u32",
            "u64",
            "u8",
            "usize",
            "vec",
        ],
    ),
    (
        "",
        "reaches the machine only through `unsafe` (handler crates forbid unsafe_code) or nightly features",
        &["alloc", "arch", "intrinsics", "ptr", "unsafe_binder"],
    ),
    ("os", "other platforms: not compiled for this target", &["darwin", "wasi", "wasip2", "windows"]),
    ("os", "C type aliases", &["raw"]),
    ("os/unix", "OsStr/OsString byte conversions, C type aliases, re-exports", &["ffi", "raw", "prelude"]),
    ("os/linux", "C type aliases", &["raw"]),
    (
        "collections",
        "ordered and sequence collections",
        &["binary_heap", "btree_map", "btree_set", "linked_list", "vec_deque"],
    ),
    ("collections", "HashSet's entries and iterators (HashSet itself is banned by name)", &["hash_set"]),
];

/// Outside std: the uuid constructors that read the clock or OS randomness. `typed_ids` re-exports only the
/// `Uuid` type; these exist only when some crate in the build turns on uuid's `v1`/`v4`/`v6`/`v7` features, so
/// they carry `allow-invalid` (clippy would warn about a path that does not resolve).
pub(crate) const UUID_METHODS: &[&str] =
    &["uuid::Uuid::new_v4", "uuid::Uuid::now_v1", "uuid::Uuid::now_v6", "uuid::Uuid::now_v7"];
