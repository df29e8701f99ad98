//! Pub/Sub (not implemented yet).

use crate::command::Registry;
use crate::server::client::ClientInfo;
use crate::server::Server;

pub fn register(_r: &mut Registry) {}

pub fn on_disconnect(_srv: &Server, _info: &ClientInfo) {}
