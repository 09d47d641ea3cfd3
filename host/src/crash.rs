//! Crash points: named places where a test stops the process dead, as a kill would, to prove
//! what survives it — between storing orders and taking them, between a take and its record,
//! between claiming a push and sending it, between sending it and recording its answer, at a
//! lease's renewal, half way through a file import. They are compiled in only with the
//! `failpoints` feature (the tests' build of the CLI: `fail`'s fail points); a production build
//! has none. A test names the point to stop at in `FAILPOINTS="<point>=return"`.

/// Stops this process at crash point `name`: says so on standard error, then aborts — no
/// unwinding, no destructor, no transaction committed or rolled back by the process: like a
/// kill.
#[cold]
pub fn stop_here(name: &str) -> ! {
    eprintln!("mallhost: stopped at crash point {name}");
    std::process::abort()
}

/// A crash point named `$name` (a no-op unless the `failpoints` feature is on and the point is
/// named in `FAILPOINTS`).
#[macro_export]
macro_rules! crash_point {
    ($name:literal) => {
        ::fail::fail_point!($name, |_| $crate::crash::stop_here($name))
    };
}

/// The crash points, for the tests that visit each.
pub const POINTS: &[&str] = &[
    "fetch:stored-before-take",
    "take:taken-before-record",
    "export:claimed-before-send",
    "export:sent-before-settle",
    "lease:renew",
    "import:shipments-half",
    "import:products-half",
];
