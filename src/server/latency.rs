//! The latency monitor (LATENCY LATEST/HISTORY/RESET): per-event samples of operations
//! that took at least `latency-monitor-threshold` milliseconds, one sample per second
//! (the worst of that second), the last 160 kept, as Redis's latency.c.

use parking_lot::Mutex;
use std::collections::{BTreeMap, VecDeque};

const MAX_SAMPLES: usize = 160;

#[derive(Default)]
pub struct Event {
    /// (unix seconds, latency ms), oldest first.
    pub samples: VecDeque<(u64, u64)>,
    pub max: u64,
}

#[derive(Default)]
pub struct Monitor {
    events: Mutex<BTreeMap<String, Event>>,
}

impl Monitor {
    /// Records `ms` for `event` at unix second `now`.
    pub fn add(&self, event: &str, now: u64, ms: u64) {
        let mut m = self.events.lock();
        let e = m.entry(event.to_string()).or_default();
        e.max = e.max.max(ms);
        if let Some(last) = e.samples.back_mut() {
            if last.0 == now {
                last.1 = last.1.max(ms);
                return;
            }
        }
        e.samples.push_back((now, ms));
        while e.samples.len() > MAX_SAMPLES {
            e.samples.pop_front();
        }
    }

    /// (event, last sample time, last latency, max latency) for every event.
    pub fn latest(&self) -> Vec<(String, u64, u64, u64)> {
        self.events
            .lock()
            .iter()
            .filter_map(|(k, e)| e.samples.back().map(|s| (k.clone(), s.0, s.1, e.max)))
            .collect()
    }

    pub fn history(&self, event: &str) -> Vec<(u64, u64)> {
        self.events
            .lock()
            .get(event)
            .map(|e| e.samples.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Resets the given events (all if empty); returns how many were reset.
    pub fn reset(&self, events: &[String]) -> usize {
        let mut m = self.events.lock();
        if events.is_empty() {
            let n = m.len();
            m.clear();
            return n;
        }
        events
            .iter()
            .filter(|e| m.remove(e.as_str()).is_some())
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.events.lock().is_empty()
    }
}
