//! The REST API's types (tasker-orchestration 0.1.8's `/v1/tasks`, docs/wire-types.md §18): request and response
//! bodies go through the real tasker-shared types like every other case; the error body has no Rust type, so its
//! vectors are the bodies (and statuses) the real `ApiError::into_response` writes.
//!
//! REST bodies are JSON only (axum's `Json`, reqwest's `.json()`), so these vectors carry no MessagePack.

use axum::response::IntoResponse;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tasker_shared::types::web::{ApiError, AuthFailureReason, AuthFailureSeverity};

use crate::cases::Case;

/// Wire types that travel only as JSON HTTP bodies.
pub const JSON_ONLY: &[&str] = &[
    "TaskRequest",
    "TaskResponse",
    "StepReadinessStatus",
    "TaskListResponse",
    "PaginationInfo",
    "TaskListQuery",
    "ApiErrorBody",
];

/// Part vectors cut out of the REST parents (see `cases::DERIVED`).
pub const DERIVED: &[(&str, &str, &str)] = &[
    ("TaskResponse", "steps/*", "StepReadinessStatus"),
    ("TaskListResponse", "tasks/*", "TaskResponse"),
    ("TaskListResponse", "pagination", "PaginationInfo"),
];

const TASK: &str = "0195b7a2-1c3e-7d4f-8a90-1b2c3d4e5f60";
const STEP_A: &str = "0195b7a2-1c40-7a11-9b22-3c4d5e6f7a81";
const STEP_B: &str = "0195b7a2-1c40-7a11-9b22-3c4d5e6f7a82";
const NAMED_A: &str = "0195b7a2-0000-7000-8000-00000000000a";
const NAMED_B: &str = "0195b7a2-0000-7000-8000-00000000000b";
const CORR: &str = "0195b7a2-1c3e-7d4f-8a90-aaaaaaaaaaaa";
const PARENT: &str = "0195b7a2-1c3e-7d4f-8a90-bbbbbbbbbbbb";
const UNICODE: &str = "héllo wörld — 日本語 🚀";

fn case(ty: &'static str, name: &'static str, input: Value) -> Case {
    Case { ty, name, input, minimal: false }
}

fn minimal(ty: &'static str, name: &'static str, input: Value) -> Case {
    Case { ty, name, input, minimal: true }
}

fn step(uuid: &str, named: &str, name: &str, state: &str, retried: bool) -> Value {
    json!({
        "workflow_step_uuid": uuid, "task_uuid": TASK, "named_step_uuid": named, "name": name,
        "current_state": state, "dependencies_satisfied": true, "retry_eligible": !retried,
        "ready_for_execution": false,
        "last_failure_at": if retried { json!("2026-03-21T12:00:02.130457") } else { Value::Null },
        "next_retry_at": if retried { json!("2026-03-21T12:00:07.130457") } else { Value::Null },
        "total_parents": if name == "root" { 0 } else { 1 }, "completed_parents": if name == "root" { 0 } else { 1 },
        "attempts": if retried { 2 } else { 1 }, "max_attempts": 3,
        "backoff_request_seconds": if retried { json!(5) } else { Value::Null },
        "last_attempted_at": "2026-03-21T12:00:01.5"
    })
}

fn task_response(status: &str, percentage: f64, steps: Vec<Value>) -> Value {
    json!({
        "task_uuid": TASK, "name": "mathematical_sequence_ts", "namespace": "linear_workflow_ts", "version": "1.0.0",
        "status": status, "created_at": "2026-03-21T12:00:00.123456Z", "updated_at": "2026-03-21T12:00:03.5Z",
        "completed_at": null, "context": {"even_number": 6, "fleet_submission": CORR},
        "initiator": "tasker-bridge", "source_system": "tasker-bridge", "reason": "conformance",
        "priority": 0, "tags": ["a", UNICODE], "correlation_id": CORR, "parent_correlation_id": null,
        "total_steps": 2, "pending_steps": 0, "in_progress_steps": 0, "completed_steps": 2, "failed_steps": 0,
        "ready_steps": 0, "execution_status": "all_complete", "recommended_action": "finalize_task",
        "completion_percentage": percentage, "health_status": "healthy", "steps": steps
    })
}

fn completed_other_task() -> Value {
    let mut t = task_response("completed", 100.0, vec![]);
    t["task_uuid"] = json!(STEP_B);
    t
}

pub fn cases() -> Vec<Case> {
    vec![
        // ---- TaskRequest: POST /v1/tasks (§18.1)
        case("TaskRequest", "every_field", json!({
            "name": "order_pipeline", "namespace": "ecommerce", "version": "1.0.0",
            "context": {"order_id": 9_007_199_254_740_993_u64, "items": [{"sku": UNICODE, "qty": 2}], "__proto__": {"x": 1}},
            "initiator": "checkout-service", "source_system": "web", "reason": "order placed",
            "tags": ["orders", "priority"], "requested_at": "2026-03-21T12:00:00.123456",
            "options": {"max_retries": 2, "dry_run": false}, "priority": 100, "correlation_id": CORR,
            "parent_correlation_id": PARENT, "idempotency_key": "order-1234"})),
        case("TaskRequest", "typical_no_idempotency_key", json!({
            "name": "mathematical_sequence_ts", "namespace": "linear_workflow_ts", "version": "1.0.0",
            "context": {"even_number": 6}, "initiator": "tasker-bridge", "source_system": "tasker-bridge",
            "reason": "requested", "tags": [], "requested_at": "2026-03-21T12:00:00",
            "options": null, "priority": null, "correlation_id": CORR, "parent_correlation_id": null})),
        case("TaskRequest", "i32_priority_extremes_and_null_context", json!({
            "name": "n", "namespace": "ns", "version": "0.1.0", "context": null, "initiator": "i",
            "source_system": "s", "reason": "r", "tags": [], "requested_at": "2026-03-21T12:00:00.5",
            "options": {}, "priority": i32::MIN, "correlation_id": CORR, "parent_correlation_id": null})),
        minimal("TaskRequest", "serde_defaults", json!({
            "name": "mathematical_sequence_ts", "namespace": "linear_workflow_ts", "version": "1.0.0",
            "context": {}, "initiator": "i", "source_system": "s", "reason": "r",
            "requested_at": "2026-03-21T12:00:00", "correlation_id": CORR, "unknown": "ignored"})),
        // ---- TaskResponse and its steps (§18.2)
        case("TaskResponse", "complete", task_response("complete", 100.0, vec![
            step(STEP_A, NAMED_A, "root", "complete", false), step(STEP_B, NAMED_B, "leaf", "complete", false)])),
        case("TaskResponse", "retrying_third", {
            let mut t = task_response("steps_in_process", 100.0 / 3.0, vec![
                step(STEP_A, NAMED_A, "root", "complete", false), step(STEP_B, NAMED_B, "leaf", "waiting_for_retry", true)]);
            t["tags"] = Value::Null;
            t["priority"] = Value::Null;
            t["parent_correlation_id"] = json!(PARENT);
            t["completed_at"] = json!("2026-03-21T12:00:09Z");
            t["execution_status"] = json!("waiting_for_dependencies");
            t["recommended_action"] = json!("wait_for_dependencies");
            t
        }),
        case("TaskResponse", "just_created", {
            let mut t = task_response("pending", 0.0, vec![]);
            t["total_steps"] = json!(i64::MAX);
            t["completed_steps"] = json!(0);
            t["context"] = json!({"n": -9_223_372_036_854_775_808_i64, "deep": [[{"k": null}]]});
            t
        }),
        case("StepReadinessStatus", "pending_root", {
            let mut s = step(STEP_A, NAMED_A, "root", "pending", false);
            s["ready_for_execution"] = json!(true);
            s["attempts"] = json!(0);
            s["last_attempted_at"] = Value::Null;
            s
        }),
        // ---- GET /v1/tasks (§18.3)
        case("TaskListResponse", "one_page_of_two", json!({
            "tasks": [completed_other_task(), task_response("pending", 50.0, vec![])],
            "pagination": {"page": 1, "per_page": 2, "total_count": 3, "total_pages": 2, "has_next": true, "has_previous": false}})),
        case("TaskListResponse", "empty", json!({
            "tasks": [],
            "pagination": {"page": 1, "per_page": 25, "total_count": 0, "total_pages": 0, "has_next": false, "has_previous": false}})),
        case("PaginationInfo", "u64_total", json!({
            "page": u32::MAX, "per_page": 100, "total_count": u64::MAX, "total_pages": u32::MAX,
            "has_next": false, "has_previous": true})),
        case("TaskListQuery", "every_filter", json!({
            "page": 3, "per_page": 100, "namespace": "ecommerce", "status": "completed",
            "initiator": "checkout-service", "source_system": "web"})),
        minimal("TaskListQuery", "serde_defaults", json!({})),
        minimal("TaskListQuery", "some_filters", json!({"per_page": 10, "status": "pending"})),
    ]
}

/// Polls a future that never waits (an in-memory body) to its end.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an in-memory response body was not ready"),
    }
}

/// `(case name, http_status, retry_after, body)` for every `ApiError` the `/v1/tasks` routes and their
/// middleware produce, as `ApiError::into_response` writes them.
pub fn api_errors() -> Result<Vec<(String, u16, Option<String>, String)>, String> {
    let errors: Vec<(&str, ApiError)> = vec![
        ("not_found", ApiError::not_found("Resource not found")),
        ("template_not_found", ApiError::not_found("Task template not found: Failed to load task template for task: t, namespace: n, version: 1.0.0, error: none")),
        ("conflict_duplicate_identity", ApiError::conflict("A task with this identity already exists")),
        ("bad_request_cannot_cancel", ApiError::bad_request("Cannot cancel a completed task")),
        ("invalid_uuid", ApiError::invalid_uuid("not-a-uuid")),
        ("json_error", ApiError::JsonError),
        ("unauthorized", ApiError::Unauthorized),
        ("forbidden", ApiError::Forbidden),
        ("authentication_missing", ApiError::auth_error_with_context(
            "Missing authentication credentials", AuthFailureReason::Missing, AuthFailureSeverity::Low)),
        ("authentication_invalid", ApiError::auth_error_with_context(
            "Invalid API key", AuthFailureReason::Invalid, AuthFailureSeverity::High)),
        ("authorization_failed", ApiError::authorization_error_with_context(
            "Missing permission: tasks:create", AuthFailureSeverity::Medium)),
        ("timeout", ApiError::Timeout),
        ("service_unavailable", ApiError::ServiceUnavailable),
        ("circuit_breaker_open", ApiError::CircuitBreakerOpen),
        ("backpressure", ApiError::backpressure("command_channel_saturated", 15)),
        ("database_error", ApiError::database_error("Database operation failed")),
        ("internal_error", ApiError::internal_server_error("hidden")),
    ];
    let mut out = Vec::new();
    for (name, error) in errors {
        let response = error.into_response();
        let status = response.status().as_u16();
        let retry_after = match response.headers().get(axum::http::header::RETRY_AFTER) {
            Some(v) => Some(v.to_str().map_err(|e| e.to_string())?.to_string()),
            None => None,
        };
        let bytes = ready(axum::body::to_bytes(response.into_body(), usize::MAX)).map_err(|e| e.to_string())?;
        out.push((name.to_string(), status, retry_after, String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())?));
    }
    Ok(out)
}
