// Suite: loads etc/chappe.toml, builds the enabled services on the shared
// transport, and runs them in one ServiceGroup (swift-service-lifecycle).
//
// Role: the only module that knows every service. `chappe serve` binds all
// listeners, drops privileges, then runs; SIGTERM/SIGINT drain the sessions.
// A control socket (data_dir/control.sock, owner-only) lets the CLI reach the
// running server: status, reload, and later the queue commands.
//
// Invariants: configuration is immutable once loaded; a reload that fails
// validation keeps the old one. No file or SQLite work runs on an event loop.
