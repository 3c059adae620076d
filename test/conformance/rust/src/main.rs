//! Conformance harness for @tasker-bridge/schemas against the real tasker-shared 0.1.8 serde types.
//!
//!   conformance vectors <dir>          write Rust → TS vectors, one file per wire type
//!   conformance check <request> <out>  decode TS encodings into the real types, re-encode, report
//!   conformance cursors <file>         write upstream's cursor splits (tasker-worker's BatchableCapable)
//!
//! Every value here goes through the real Rust type: vectors are `from_value::<T>(input)` then
//! `serde_json::to_string` / `rmp_serde::to_vec_named`; checks are `from_str::<T>` / `from_slice::<T>`.

mod cases;
mod rest;

/// tasker-worker 0.1.8's handler capability traits, compiled from its published source (see build.rs).
#[allow(dead_code, unused_imports, clippy::all)]
mod upstream_capabilities {
    include!(concat!(env!("OUT_DIR"), "/handler_capabilities.rs"));
}

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use tasker_pgmq::PgmqNotifyEvent;
use tasker_shared::database::sql_functions::StepReadinessStatus;
use tasker_shared::events::domain_events::{DomainEvent, DomainEventPayload, EventMetadata};
use tasker_shared::messaging::execution_types::{
    BatchProcessingOutcome, CursorConfig, DecisionPointOutcome, StepExecutionError, StepExecutionMetadata,
    StepExecutionResult,
};
use tasker_shared::messaging::message::{BackoffHint, OrchestrationMetadata, StepMessage};
use tasker_shared::models::core::batch_worker::{
    BatchMetadata, BatchWorkerInputs, CheckpointHistoryEntry, CheckpointRecord, CheckpointYieldData,
};
use tasker_shared::models::core::task::{PaginationInfo, Task, TaskForOrchestration, TaskListQuery};
use tasker_shared::models::core::task_request::TaskRequest;
use tasker_shared::models::core::task_template::event_declaration::EventDeclaration;
use tasker_shared::models::core::task_template::{
    BatchConfiguration, DomainEventDefinition, EnvironmentOverride, HandlerDefinition, HandlerOverride,
    LifecycleConfig, RetryConfiguration, StepDefinition, StepOverride, SystemDependencies, TaskTemplate,
    TemplateMetadata,
};
use tasker_shared::models::core::workflow_step::WorkflowStepWithName;
use tasker_shared::state_machine::states::{TaskState, WorkflowStepState};
use tasker_shared::types::api::orchestration::{TaskListResponse, TaskResponse};
use tasker_shared::types::base::TaskSequenceStep;

/// `StandardErrorType` has no Rust type: it is a `String` that must be one of `error_types::ALL`.
#[derive(Clone, Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
struct StandardErrorType(String);

impl TryFrom<String> for StandardErrorType {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if tasker_shared::types::error_types::ALL.contains(&s.as_str()) {
            Ok(Self(s))
        } else {
            Err(format!("unknown standard error type `{s}`"))
        }
    }
}

impl From<StandardErrorType> for String {
    fn from(v: StandardErrorType) -> String {
        v.0
    }
}

/// What one wire type can do: emit a vector, or check a TS encoding.
struct Ops {
    emit: fn(&Value) -> Result<(String, Vec<u8>), String>,
    check_json: fn(&str) -> Result<(String, Value), String>,
    check_msgpack: fn(&[u8]) -> Result<(Vec<u8>, Value), String>,
}

fn emit<T: Serialize + DeserializeOwned>(input: &Value) -> Result<(String, Vec<u8>), String> {
    let value: T = serde_json::from_value(input.clone()).map_err(|e| e.to_string())?;
    let json = serde_json::to_string(&value).map_err(|e| e.to_string())?;
    let msgpack = rmp_serde::to_vec_named(&value).map_err(|e| e.to_string())?;
    Ok((json, msgpack))
}

fn check_json<T: Serialize + DeserializeOwned>(text: &str) -> Result<(String, Value), String> {
    let value: T = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let out = serde_json::to_string(&value).map_err(|e| e.to_string())?;
    Ok((out, serde_json::to_value(&value).map_err(|e| e.to_string())?))
}

fn check_msgpack<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<(Vec<u8>, Value), String> {
    let value: T = rmp_serde::from_slice(bytes).map_err(|e| e.to_string())?;
    let out = rmp_serde::to_vec_named(&value).map_err(|e| e.to_string())?;
    Ok((out, serde_json::to_value(&value).map_err(|e| e.to_string())?))
}

macro_rules! ops {
    ($t:ty) => {
        Ops { emit: emit::<$t>, check_json: check_json::<$t>, check_msgpack: check_msgpack::<$t> }
    };
}

/// Wire type name (the schema title) → the real Rust type behind it.
fn ops_for(name: &str) -> Option<Ops> {
    Some(match name {
        "StepMessage" => ops!(StepMessage),
        // The four notify payloads are the variants of one internally tagged enum.
        "PgmqNotifyEvent" | "MessageWithPayloadEvent" | "MessageReadyEvent" | "QueueCreatedEvent"
        | "BatchReadyEvent" => ops!(PgmqNotifyEvent),
        "Task" => ops!(Task),
        "TaskForOrchestration" => ops!(TaskForOrchestration),
        "WorkflowStepWithName" => ops!(WorkflowStepWithName),
        "TaskSequenceStep" => ops!(TaskSequenceStep),
        "StepDefinition" => ops!(StepDefinition),
        "HandlerDefinition" => ops!(HandlerDefinition),
        "RetryConfiguration" => ops!(RetryConfiguration),
        "EventDeclaration" => ops!(EventDeclaration),
        "BatchConfiguration" => ops!(BatchConfiguration),
        "StepExecutionResult" => ops!(StepExecutionResult),
        "StepExecutionMetadata" => ops!(StepExecutionMetadata),
        "StepExecutionError" => ops!(StepExecutionError),
        "OrchestrationMetadata" => ops!(OrchestrationMetadata),
        "BackoffHint" => ops!(BackoffHint),
        "BatchProcessingOutcome" => ops!(BatchProcessingOutcome),
        "CursorConfig" => ops!(CursorConfig),
        "BatchWorkerInputs" => ops!(BatchWorkerInputs),
        "BatchMetadata" => ops!(BatchMetadata),
        "DecisionPointOutcome" => ops!(DecisionPointOutcome),
        "CheckpointYieldData" => ops!(CheckpointYieldData),
        "CheckpointRecord" => ops!(CheckpointRecord),
        "CheckpointHistoryEntry" => ops!(CheckpointHistoryEntry),
        "DomainEvent" => ops!(DomainEvent),
        "DomainEventPayload" => ops!(DomainEventPayload),
        "EventMetadata" => ops!(EventMetadata),
        "TaskTemplate" => ops!(TaskTemplate),
        "TemplateMetadata" => ops!(TemplateMetadata),
        "SystemDependencies" => ops!(SystemDependencies),
        "DomainEventDefinition" => ops!(DomainEventDefinition),
        "EnvironmentOverride" => ops!(EnvironmentOverride),
        "StepOverride" => ops!(StepOverride),
        "HandlerOverride" => ops!(HandlerOverride),
        "LifecycleConfig" => ops!(LifecycleConfig),
        "StepState" => ops!(WorkflowStepState),
        "TaskState" => ops!(TaskState),
        "StandardErrorType" => ops!(StandardErrorType),
        // The REST API (docs/wire-types.md §18). ApiErrorBody has no Rust type: see `rest::api_errors`.
        "TaskRequest" => ops!(TaskRequest),
        "TaskResponse" => ops!(TaskResponse),
        "StepReadinessStatus" => ops!(StepReadinessStatus),
        "TaskListResponse" => ops!(TaskListResponse),
        "PaginationInfo" => ops!(PaginationInfo),
        "TaskListQuery" => ops!(TaskListQuery),
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).ok_or("odd hex")?, 16).map_err(|e| e.to_string()))
        .collect()
}

/// Values found at a path; `*` walks every array element or object entry.
fn select<'a>(value: &'a Value, path: &[&str], out: &mut Vec<(String, &'a Value)>, at: String) {
    let Some((head, rest)) = path.split_first() else {
        out.push((at, value));
        return;
    };
    match (*head, value) {
        ("*", Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                select(v, rest, out, format!("{at}/{i}"));
            }
        }
        ("*", Value::Object(map)) => {
            for (k, v) in map {
                select(v, rest, out, format!("{at}/{k}"));
            }
        }
        (key, Value::Object(map)) => {
            if let Some(v) = map.get(key) {
                select(v, rest, out, format!("{at}/{key}"));
            }
        }
        _ => {}
    }
}

fn write_vectors(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut emitted: Vec<(String, String, Value)> = Vec::new();

    let mut push = |ty: &str, name: &str, input: &Value, record_input: bool| -> Result<Value, String> {
        let ops = ops_for(ty).ok_or(format!("unknown type {ty}"))?;
        let (json, msgpack) = (ops.emit)(input).map_err(|e| format!("{ty}/{name}: {e}"))?;
        let mut case = json!({ "name": name, "json": json });
        if !rest::JSON_ONLY.contains(&ty) {
            case["msgpack_hex"] = Value::String(hex(&msgpack));
        }
        if record_input {
            // The exact text Rust was given: the TS decoder must apply serde's defaults to reach `json`.
            case["input"] = Value::String(serde_json::to_string(input).map_err(|e| e.to_string())?);
        }
        by_type.entry(ty.to_string()).or_default().push(case);
        serde_json::from_str(&json).map_err(|e| e.to_string())
    };

    for c in cases::all().into_iter().chain(rest::cases()) {
        let output = push(c.ty, c.name, &c.input, c.minimal)?;
        emitted.push((c.ty.to_string(), c.name.to_string(), output));
    }
    // Part types: every sub-object Rust emitted inside a parent, re-read as the part's own type.
    for (parent, child_path, child_ty) in cases::DERIVED.iter().chain(rest::DERIVED) {
        for (ty, name, output) in &emitted {
            if ty != parent {
                continue;
            }
            let path: Vec<&str> = child_path.split('/').collect();
            let mut found = Vec::new();
            select(output, &path, &mut found, String::new());
            for (at, v) in found {
                if v.is_null() {
                    continue;
                }
                push(child_ty, &format!("{name}{at}"), v, false)?;
            }
        }
    }

    // The error body: what the real ApiError::into_response writes, with its status and Retry-After.
    for (name, status, retry_after, body) in rest::api_errors()? {
        let mut case = json!({ "name": name, "json": body, "http_status": status });
        if let Some(seconds) = retry_after {
            case["retry_after"] = Value::String(seconds);
        }
        by_type.entry("ApiErrorBody".to_string()).or_default().push(case);
    }

    for (ty, cases) in by_type {
        let mut doc = json!({
            "type": ty,
            "generated_by": "test/conformance/rust (tasker-shared =0.1.8, serde_json, rmp-serde to_vec_named); do not edit",
            "cases": cases,
        });
        if ty == "ApiErrorBody" {
            // Only the server writes it; no Rust type reads it, so the TS → Rust check has nothing to run.
            doc["decoded_by_rust"] = Value::Bool(false);
        }
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n";
        fs::write(dir.join(format!("{ty}.json")), text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Request: `{"cases":[{"type","name","json"?,"msgpack_hex"?}]}`. Each encoding is decoded into the real
/// type and re-encoded; the report carries Rust's output or its error, and whether both decoded values agree.
fn check(request: &Path, out: &Path) -> Result<(), String> {
    let text = fs::read_to_string(request).map_err(|e| e.to_string())?;
    let req: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let mut results = Vec::new();
    for case in req["cases"].as_array().ok_or("cases must be an array")? {
        let ty = case["type"].as_str().ok_or("type")?;
        let ops = ops_for(ty).ok_or(format!("unknown type {ty}"))?;
        let mut r = json!({ "type": ty, "name": case["name"] });
        let mut json_value = None;
        if let Some(text) = case["json"].as_str() {
            match (ops.check_json)(text) {
                Ok((reencoded, v)) => {
                    r["json"] = json!({ "ok": true, "reencoded": reencoded });
                    json_value = Some(v);
                }
                Err(e) => r["json"] = json!({ "ok": false, "error": e }),
            }
        }
        if let Some(h) = case["msgpack_hex"].as_str() {
            match unhex(h).and_then(|bytes| (ops.check_msgpack)(&bytes)) {
                Ok((reencoded, v)) => {
                    r["msgpack"] = json!({ "ok": true, "reencoded_hex": hex(&reencoded) });
                    if let Some(j) = &json_value {
                        r["same_value"] = Value::Bool(*j == v);
                    }
                }
                Err(e) => r["msgpack"] = json!({ "ok": false, "error": e }),
            }
        }
        results.push(r);
    }
    let probe = serde_json::to_string(&json!({"b": 1, "a": 2})).map_err(|e| e.to_string())?;
    let report = json!({ "value_objects_sorted": probe == r#"{"a":2,"b":1}"#, "results": results });
    fs::write(out, serde_json::to_string(&report).map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

/// A handler with nothing but upstream's default `BatchableCapable` methods.
struct CursorSplitter;
impl upstream_capabilities::BatchableCapable for CursorSplitter {}

/// Cursor splits as upstream's Rust helpers make them: `create_cursor_configs(total, workers)` (an even split, the
/// remainder spread over the first workers) and `create_cursor_ranges(total, batch_size, None)` (fixed size).
fn write_cursor_vectors(file: &Path) -> Result<(), String> {
    use upstream_capabilities::BatchableCapable;
    let mut by_workers = Vec::new();
    let mut pairs: Vec<(u64, u32)> = Vec::new();
    for total in 0..=13u64 {
        for workers in 1..=6u32 {
            pairs.push((total, workers));
        }
    }
    pairs.extend([(100, 4), (100, 7), (1000, 3), (1000, 5), (1000, 7), (3, 10), (999_999, 13), (4_000_000_000, 3)]);
    for (total, workers) in pairs {
        let configs = CursorSplitter.create_cursor_configs(total, workers);
        by_workers.push(json!({ "total_items": total, "worker_count": workers, "cursor_configs": configs }));
    }
    let mut by_size = Vec::new();
    for (total, size) in [(0u64, 3u64), (1, 3), (5, 2), (10, 3), (10, 10), (10, 11), (1000, 200), (1001, 200), (7, 1)] {
        let configs = CursorSplitter.create_cursor_ranges(total, size, None);
        by_size.push(json!({ "total_items": total, "batch_size": size, "cursor_configs": configs }));
    }
    let doc = json!({
        "generated_by": "test/conformance/rust (tasker-worker =0.1.8 BatchableCapable, its published source); do not edit",
        "create_cursor_configs": by_workers,
        "create_cursor_ranges": by_size,
    });
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())? + "\n";
    fs::write(file, text).map_err(|e| e.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("vectors") if args.len() == 3 => write_vectors(Path::new(&args[2])),
        Some("check") if args.len() == 4 => check(Path::new(&args[2]), Path::new(&args[3])),
        Some("cursors") if args.len() == 3 => write_cursor_vectors(Path::new(&args[2])),
        _ => Err(
            "usage: conformance vectors <dir> | conformance check <request.json> <report.json> | conformance cursors <file>"
                .into(),
        ),
    };
    if let Err(e) = result {
        eprintln!("conformance: {e}");
        std::process::exit(1);
    }
}
