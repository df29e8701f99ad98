//! Server commands: INFO, CONFIG, COMMAND, DEBUG, SLOWLOG, MONITOR, TIME, SHUTDOWN, ...

use crate::command::{Ctx, LockMode, Registry};
use crate::resp::Reply;
use bytes::Bytes;

pub fn register(r: &mut Registry) {
    r.add("config|get", config_get, LockMode::None);
    r.add("config|set", config_set, LockMode::None);
}

fn config_get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let pats: Vec<&[u8]> = args[2..].iter().map(|a| a.as_ref()).collect();
    let pairs = ctx.srv.config.get_matching(&pats);
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk(k), Reply::bulk(v)))
            .collect(),
    )
}

fn config_set(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if (args.len() - 2) % 2 != 0 {
        return crate::command::err::wrong_args("config|set");
    }
    let pairs: Vec<(String, Vec<String>)> = args[2..]
        .chunks(2)
        .map(|c| {
            (
                String::from_utf8_lossy(&c[0]).into_owned(),
                vec![String::from_utf8_lossy(&c[1]).into_owned()],
            )
        })
        .collect();
    match ctx.srv.config.set_many(&pairs, false) {
        Ok(()) => Reply::OK,
        Err(e) => Reply::Error(format!("ERR {e}").into()),
    }
}
