//! Tessera: a Redis-compatible, multi-threaded server.
//!
//! Layers, from the socket inwards: `server` (connections, dispatch, cron) -> `resp`
//! (protocol) -> `command` (table, `Ctx`) -> `commands` (one file per family) -> `store`
//! (sharded keyspace). `config` is the one registry of parameters. See ARCHITECTURE.md.

pub mod blocking;
pub mod command;
pub mod commands;
pub mod config;
pub mod memory;
pub mod native;
pub mod pubsub;
pub mod resp;
pub mod scripting;
pub mod server;
pub mod store;
pub mod util;
