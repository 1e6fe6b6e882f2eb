//! Scripted outbound HTTP.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use super::gate::Gate;
use super::{Faults, ManualClock, OutboundFault, Trace};
use crate::outbound::{Method, Outbound, OutboundError, Request, Response};

#[derive(Debug, Default)]
struct Script {
    /// Per (method, url): one-shot replies in order, then the sticky one.
    once: BTreeMap<(Method, String), VecDeque<Result<Response, OutboundError>>>,
    always: BTreeMap<(Method, String), Result<Response, OutboundError>>,
    calls: Vec<Request>,
}

/// Outbound HTTP answered from a script, with a record of every call. A request matches on method and exact URL;
/// one-shot replies ([`respond_once`](ScriptedOutbound::respond_once)) are used first, in order, then the standing
/// reply ([`respond`](ScriptedOutbound::respond)); with neither, the call fails with
/// [`OutboundError::NotScripted`]. Faults ([`Faults::outbound`]) come before the script.
#[derive(Debug, Clone)]
pub struct ScriptedOutbound {
    script: Arc<Mutex<Script>>,
    faults: Faults,
    trace: Trace,
    clock: ManualClock,
    gate: Gate,
}

impl ScriptedOutbound {
    pub(crate) fn new(faults: Faults, trace: Trace, clock: ManualClock, gate: Gate) -> Self {
        Self { script: Arc::default(), faults, trace, clock, gate }
    }

    fn lock(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers every `method url` call with `reply` (after any one-shot replies).
    pub fn respond(&self, method: Method, url: &str, reply: Result<Response, OutboundError>) {
        self.lock().always.insert((method, url.to_owned()), reply);
    }

    /// Answers the next `method url` call with `reply`.
    pub fn respond_once(&self, method: Method, url: &str, reply: Result<Response, OutboundError>) {
        self.lock().once.entry((method, url.to_owned())).or_default().push_back(reply);
    }

    /// Every request sent so far, in order.
    pub fn calls(&self) -> Vec<Request> {
        self.lock().calls.clone()
    }
}

impl Outbound for ScriptedOutbound {
    async fn send(&self, request: Request) -> Result<Response, OutboundError> {
        let (method, url) = (request.method, request.url.clone());
        self.gate.point(|| format!("outbound {method} {url}")).await;
        let body_len = request.body.len();
        let reply = match self.faults.outbound_fault() {
            Some(OutboundFault::Connect) => {
                self.lock().calls.push(request);
                Err(OutboundError::Connect { url: url.clone(), message: "sandbox fault: connection refused".into() })
            }
            Some(OutboundFault::Timeout(after)) => {
                self.lock().calls.push(request);
                self.clock.advance(after);
                Err(OutboundError::Timeout { url: url.clone() })
            }
            None => {
                let mut script = self.lock();
                script.calls.push(request);
                let key = (method, url.clone());
                let once = script.once.get_mut(&key).and_then(VecDeque::pop_front);
                once.or_else(|| script.always.get(&key).cloned())
                    .unwrap_or_else(|| Err(OutboundError::NotScripted { method, url: url.clone() }))
            }
        };
        match &reply {
            Ok(r) => self.trace.record(format_args!(
                "outbound {method} {url} body={body_len}B -> {} body={}B",
                r.status,
                r.body.len()
            )),
            Err(e) => self.trace.record(format_args!("outbound {method} {url} body={body_len}B -> err {}", e.kind())),
        }
        reply
    }
}
