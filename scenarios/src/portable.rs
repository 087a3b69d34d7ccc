//! Portable scenarios: the generic part of a scenario (faults, timing, load) runs on any
//! protocol whose clients speak its workload; what is specific to the protocol it was written
//! for applies to that protocol only.
//!
//! - Tuning `params` (and `vary.params`) and the `sometimes` coverage marks belong to the
//!   scenario's own `protocol`; on another protocol they are left out.
//! - A crash point names either a **role** ([`CrashRole`]: `vote-grant`, `append-ack`,
//!   `append`, `client-reply`), which each protocol maps to its own message kind
//!   ([`ProtocolEntry::crash_roles`]), or a message kind ("AppendOk"), which is the scenario's
//!   own protocol's vocabulary. In a generator's `crash_point_kinds`, another protocol's kinds
//!   are left out like its params; in a fixed schedule they are refused, and so is a role the
//!   protocol maps to nothing: a crash point never silently fails to fire.
//!
//! [`for_protocol`] does this once; the scenario it returns is written for the protocol
//! (roles resolved, `protocol` set), so adapting it again changes nothing.

use crate::registry::ProtocolEntry;
use crate::scenario::{Scenario, ScenarioError};
use splitbrain_sim::Fault;

/// What a crash point waits for, named by its role in any replication protocol.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CrashRole {
    /// A server grants its vote (Raft's `VoteGranted`, Paxos's `Promise`).
    VoteGrant,
    /// A server acknowledges entries it appended (Raft's `AppendOk`, Paxos's `Accepted`).
    AppendAck,
    /// A leader sends entries to a follower (Raft's `AppendEntries`, Paxos's `Accept`).
    Append,
    /// A server answers a client.
    ClientReply,
}

impl CrashRole {
    pub const ALL: [CrashRole; 4] = [
        CrashRole::VoteGrant,
        CrashRole::AppendAck,
        CrashRole::Append,
        CrashRole::ClientReply,
    ];

    /// The name scenarios use.
    pub fn name(self) -> &'static str {
        match self {
            CrashRole::VoteGrant => "vote-grant",
            CrashRole::AppendAck => "append-ack",
            CrashRole::Append => "append",
            CrashRole::ClientReply => "client-reply",
        }
    }

    pub fn parse(name: &str) -> Option<CrashRole> {
        CrashRole::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// `scenario` made to run on `entry`: checked against its workload models, its own
/// protocol's knobs kept only if it is `entry`, and its crash-point roles resolved to
/// `entry`'s message kinds. `file` names the scenario in errors; `check_models` also checks
/// its workload against the models `entry`'s clients speak (which parses its catalogue).
pub fn for_protocol(
    scenario: &Scenario,
    entry: &dyn ProtocolEntry,
    file: &str,
    check_models: bool,
) -> Result<Scenario, ScenarioError> {
    let info = entry.info();
    let invalid = |field: String, message: String| ScenarioError::Invalid {
        file: file.to_string(),
        field,
        message,
    };
    let own = scenario
        .protocol
        .as_deref()
        .is_none_or(|p| p.eq_ignore_ascii_case(info.name));
    let mut s = scenario.clone();
    if !own {
        s.params.clear();
        if let Some(vary) = s.vary.as_mut() {
            vary.params.clear();
        }
        s.sometimes.clear();
    }
    let roles = entry.crash_roles();
    let resolve = |name: &str, field: String| -> Result<Option<String>, ScenarioError> {
        if let Some(role) = CrashRole::parse(name) {
            return match roles.iter().find(|(r, _)| *r == role) {
                Some((_, kind)) => Ok(Some(kind.to_string())),
                None => Err(invalid(field, lacks(info.name, role, roles))),
            };
        }
        Ok(own.then(|| name.to_string()))
    };
    if let Some(g) = s.generator.as_mut() {
        let mut kept = Vec::new();
        for (i, name) in g.crash_point_kinds.iter().enumerate() {
            let field = format!("generator.crash_point_kinds[{i}]");
            kept.extend(resolve(name, field)?);
        }
        g.crash_point_kinds = kept;
        g.validate().map_err(|(field, message)| {
            invalid(
                format!("generator.{field}"),
                format!(
                    "{message} (on {}, whose crash-point roles are: {})",
                    info.name,
                    role_list(roles)
                ),
            )
        })?;
    }
    for (i, timed) in s.schedule.0.iter_mut().enumerate() {
        if let Fault::CrashAfterSend { msg_kind, .. } = &mut timed.fault {
            let field = format!("schedule[{i}].msg_kind");
            match resolve(msg_kind, field.clone())? {
                Some(kind) => *msg_kind = kind,
                None => {
                    return Err(invalid(
                        field,
                        format!(
                            "`{msg_kind}` is a message kind of {}, which {} does not send; name a role instead ({})",
                            scenario.protocol.as_deref().unwrap_or("another protocol"),
                            info.name,
                            role_list(roles)
                        ),
                    ))
                }
            }
        }
    }
    s.protocol = Some(info.name.to_string());
    let models = if check_models {
        entry.models()
    } else {
        Vec::new()
    };
    s.check_for(info.name, &models, file)?;
    s.check_params(entry.params())?;
    Ok(s)
}

fn lacks(protocol: &str, role: CrashRole, roles: &[(CrashRole, &str)]) -> String {
    format!(
        "crash-point role `{}`: {protocol} sends no such message (its roles: {})",
        role.name(),
        role_list(roles)
    )
}

fn role_list(roles: &[(CrashRole, &str)]) -> String {
    if roles.is_empty() {
        return "none".to_string();
    }
    let names: Vec<String> = roles
        .iter()
        .map(|(r, k)| format!("{} = {k}", r.name()))
        .collect();
    names.join(", ")
}
