//! SLOWLOG: commands slower than `slowlog-log-slower-than` microseconds.

use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::VecDeque;

pub struct SlowEntry {
    pub id: u64,
    pub time: u64,
    pub duration_us: u64,
    pub args: Vec<Bytes>,
    pub addr: String,
    pub name: String,
}

#[derive(Default)]
pub struct SlowLog {
    inner: Mutex<(u64, VecDeque<SlowEntry>)>,
}

const MAX_ARGS: usize = 32;
const MAX_ARG_LEN: usize = 128;

impl SlowLog {
    pub fn push(
        &self,
        args: &[Bytes],
        duration_us: u64,
        addr: String,
        name: String,
        max_len: usize,
    ) {
        let mut stored: Vec<Bytes> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if i == MAX_ARGS - 1 && args.len() > MAX_ARGS {
                stored.push(Bytes::from(format!(
                    "... ({} more arguments)",
                    args.len() - MAX_ARGS + 1
                )));
                break;
            }
            if a.len() > MAX_ARG_LEN {
                let mut v = a[..MAX_ARG_LEN].to_vec();
                v.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - MAX_ARG_LEN).as_bytes(),
                );
                stored.push(Bytes::from(v));
            } else {
                stored.push(Bytes::copy_from_slice(a));
            }
        }
        let mut g = self.inner.lock();
        let id = g.0;
        g.0 += 1;
        g.1.push_front(SlowEntry {
            id,
            time: crate::util::now_ms() / 1000,
            duration_us,
            args: stored,
            addr,
            name,
        });
        while g.1.len() > max_len {
            g.1.pop_back();
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().1.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn reset(&self) {
        self.inner.lock().1.clear();
    }

    pub fn get(&self, count: usize) -> Vec<crate::resp::Reply> {
        use crate::resp::Reply;
        let g = self.inner.lock();
        g.1.iter()
            .take(count)
            .map(|e| {
                Reply::Array(vec![
                    Reply::Int(e.id as i64),
                    Reply::Int(e.time as i64),
                    Reply::Int(e.duration_us as i64),
                    Reply::Array(e.args.iter().map(|a| Reply::Bulk(a.clone())).collect()),
                    Reply::bulk(&e.addr),
                    Reply::bulk(&e.name),
                ])
            })
            .collect()
    }
}
