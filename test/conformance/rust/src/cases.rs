//! The inputs behind the vectors. Each goes through the real Rust type before anything is written, so a
//! vector is always Rust's own output. `minimal: true` cases are the sparse forms Rust accepts (serde
//! defaults, missing Options, aliases); the TS decoder must turn them into the same value.

use serde_json::{json, Value};

pub struct Case {
    pub ty: &'static str,
    pub name: &'static str,
    pub input: Value,
    pub minimal: bool,
}

/// (parent type, path inside the parent's output, part type): part vectors cut out of parent vectors.
pub const DERIVED: &[(&str, &str, &str)] = &[
    ("TaskSequenceStep", "task", "TaskForOrchestration"),
    ("TaskSequenceStep", "task/task", "Task"),
    ("TaskSequenceStep", "workflow_step", "WorkflowStepWithName"),
    ("TaskSequenceStep", "step_definition", "StepDefinition"),
    ("TaskSequenceStep", "step_definition/handler", "HandlerDefinition"),
    ("TaskSequenceStep", "step_definition/retry", "RetryConfiguration"),
    ("TaskSequenceStep", "step_definition/publishes_events/*", "EventDeclaration"),
    ("TaskSequenceStep", "step_definition/batch_config", "BatchConfiguration"),
    ("TaskSequenceStep", "dependency_results/*", "StepExecutionResult"),
    ("StepExecutionResult", "metadata", "StepExecutionMetadata"),
    ("StepExecutionResult", "error", "StepExecutionError"),
    ("StepExecutionResult", "orchestration_metadata", "OrchestrationMetadata"),
    ("StepExecutionResult", "orchestration_metadata/backoff_hint", "BackoffHint"),
    ("BatchProcessingOutcome", "cursor_configs/*", "CursorConfig"),
    ("BatchWorkerInputs", "batch_metadata", "BatchMetadata"),
    ("CheckpointRecord", "history/*", "CheckpointHistoryEntry"),
    ("DomainEvent", "payload", "DomainEventPayload"),
    ("DomainEvent", "metadata", "EventMetadata"),
    ("TaskTemplate", "metadata", "TemplateMetadata"),
    ("TaskTemplate", "system_dependencies", "SystemDependencies"),
    ("TaskTemplate", "domain_events/*", "DomainEventDefinition"),
    ("TaskTemplate", "environments/*", "EnvironmentOverride"),
    ("TaskTemplate", "environments/*/steps/*", "StepOverride"),
    ("TaskTemplate", "environments/*/steps/*/handler", "HandlerOverride"),
    ("TaskTemplate", "lifecycle", "LifecycleConfig"),
    ("TaskTemplate", "steps/*", "StepDefinition"),
];

const TASK: &str = "0195b7a2-1c3e-7d4f-8a90-1b2c3d4e5f60";
const STEP: &str = "0195b7a2-1c40-7a11-9b22-3c4d5e6f7a81";
const CORR: &str = "0195b7a2-1c3e-7d4f-8a90-aaaaaaaaaaaa";
const MAX_UUID: &str = "ffffffff-ffff-ffff-ffff-ffffffffffff";
const NIL_UUID: &str = "00000000-0000-0000-0000-000000000000";
/// 32 bytes of UTF-8 in 11 characters: crosses the fixstr/str8 boundary that rmp picks by byte length.
const UNICODE: &str = "héllo wörld — 日本語 🚀";

fn case(ty: &'static str, name: &'static str, input: Value) -> Case {
    Case { ty, name, input, minimal: false }
}

fn minimal(ty: &'static str, name: &'static str, input: Value) -> Case {
    Case { ty, name, input, minimal: true }
}

fn metadata_full() -> Value {
    json!({
        "execution_time_ms": 42, "handler_version": "1.2.3", "retryable": false,
        "completed_at": "2026-03-21T12:00:01.250Z", "worker_id": "worker_0195b7a2-0000-7000-8000-000000000099",
        "worker_hostname": "host-1", "started_at": "2026-03-21T12:00:01.208Z",
        "custom": {"handler_name": "validate_order"}, "error_code": null, "error_type": null, "context": {}
    })
}

fn success_result(uuid: &str, result: Value) -> Value {
    json!({
        "step_uuid": uuid, "success": true, "result": result, "metadata": metadata_full(),
        "status": "completed", "error": null,
        "orchestration_metadata": {"headers": {}, "error_context": null, "backoff_hint": null, "custom": {}}
    })
}

fn failure_result() -> Value {
    json!({
        "step_uuid": STEP, "success": false, "result": {},
        "metadata": {
            "execution_time_ms": 1503, "handler_version": null, "retryable": true,
            "completed_at": "2026-03-21T12:00:03.000123Z", "worker_id": null, "worker_hostname": "worker-1",
            "started_at": null, "custom": {}, "error_code": "PAYMENT_GATEWAY_TIMEOUT",
            "error_type": "retryable_error", "context": {"checkpoint_progress": 75}
        },
        "status": "failed",
        "error": {
            "message": "Payment gateway timed out", "error_type": "retryable_error",
            "backtrace": ["at charge (gateway.ts:10)", "at call (handler.ts:3)"],
            "retryable": true, "status_code": 504, "context": {"http_method": "POST"}
        },
        "orchestration_metadata": {
            "headers": {"retry-after": "30"}, "error_context": "Rate limited by gateway",
            "backoff_hint": {"backoff_type": "RateLimit", "delay_seconds": 30, "context": null},
            "custom": {"attempt": 2}
        }
    })
}

fn task(context: Value) -> Value {
    json!({
        "task_uuid": TASK, "named_task_uuid": "0195b7a0-0000-7000-8000-00000000000a", "complete": false,
        "requested_at": "2026-03-21T12:00:00.123456", "initiator": "api_gateway", "source_system": "web",
        "reason": "New order", "tags": ["priority:high"], "context": context, "identity_hash": "3f1c9e",
        "priority": 0, "created_at": "2026-03-21T12:00:00.130", "updated_at": "2026-03-21T12:00:00",
        "correlation_id": CORR, "parent_correlation_id": null
    })
}

fn workflow_step(name: &str, inputs: Value, checkpoint: Value) -> Value {
    json!({
        "workflow_step_uuid": STEP, "task_uuid": TASK, "named_step_uuid": "0195b7a0-0000-7000-8000-00000000000b",
        "name": name, "template_step_name": name, "retryable": true, "max_attempts": 3, "in_process": true,
        "processed": false, "processed_at": null, "attempts": 1, "last_attempted_at": "2026-03-21T12:00:02.500",
        "backoff_request_seconds": null, "inputs": inputs, "results": null, "checkpoint": checkpoint,
        "created_at": "2026-03-21T12:00:00.140001", "updated_at": "2026-03-21T12:00:02.500001"
    })
}

fn step_definition() -> Value {
    json!({
        "name": "charge_payment", "description": "Charge the customer",
        "handler": {"callable": "ecommerce.handlers.ChargePaymentHandler", "method": null, "resolver": null,
                    "initialization": {"gateway": "stripe"}},
        "type": "standard", "system_dependency": null, "dependencies": ["validate_order"],
        "retry": {"retryable": true, "max_attempts": 3, "backoff": "exponential",
                  "backoff_base_ms": 1000, "max_backoff_ms": 30000},
        "timeout_seconds": 30,
        "publishes_events": [{"name": "payment.charged", "description": "Payment charged", "condition": "success",
                              "schema": {"type": "object"}, "delivery_mode": "durable", "publisher": null}],
        "batch_config": null
    })
}

fn deep(levels: usize) -> Value {
    let mut v = json!({"leaf": [1, -1, 1.5, "x", null, true]});
    for i in 0..levels {
        v = json!({ format!("level_{i}"): v, "i": i });
    }
    v
}

/// Integers JS numbers cannot hold (2^53 + 1, the 64-bit extremes) inside arrays in objects in arrays, beside
/// keys that name `Object.prototype` members (`__proto__`, `constructor`, `toString`) and floats whose digits
/// or exponent look like long integers. serde_json keeps every one exactly; so must our codecs.
fn exact_data() -> Value {
    json!({
        "__proto__": {"id": 9_007_199_254_740_993_u64, "polluted": true},
        "constructor": {"prototype": [1]},
        "toString": "not a function",
        "ids": [{"u64_max": [u64::MAX, [u64::MAX]], "i64_min": [i64::MIN], "above_2_53": [[9_007_199_254_740_993_u64]]}],
        "below_minus_2_53": -9_007_199_254_740_993_i64,
        "safe": [9_007_199_254_740_991_u64, -9_007_199_254_740_991_i64],
        "floats": [0.30000000000000004, 1.5e300, 12345678901234567.0, -0.5]
    })
}

fn tss_standard() -> Value {
    json!({
        "task": {"task": task(json!({"amount": 250, "order_id": "ORD-1"})), "task_name": "process_order",
                 "task_version": "1.0.0", "namespace_name": "ecommerce"},
        "workflow_step": workflow_step("charge_payment", json!({"gateway": "stripe"}), Value::Null),
        "dependency_results": {"validate_order": success_result("0195b7a2-1c3f-7000-8000-000000000001",
                                                               json!({"order_id": "ORD-1", "total": 99.99}))},
        "step_definition": step_definition()
    })
}

pub fn all() -> Vec<Case> {
    let mut v = vec![
        // ---- StepMessage (§3)
        case("StepMessage", "typical", json!({"task_uuid": TASK, "step_uuid": STEP, "correlation_id": CORR})),
        case("StepMessage", "nil_and_max", json!({"task_uuid": NIL_UUID, "step_uuid": MAX_UUID, "correlation_id": CORR})),
        minimal("StepMessage", "unknown_keys_ignored",
                json!({"task_uuid": TASK, "step_uuid": STEP, "correlation_id": CORR, "namespace": "x", "extra": [1]})),
        // ---- pg_notify payloads (§2)
        case("MessageWithPayloadEvent", "step_message", json!({
            "event_type": "message_with_payload", "msg_id": 42, "queue_name": "worker_ecommerce_queue",
            "namespace": "ecommerce", "message": {"task_uuid": TASK, "step_uuid": STEP, "correlation_id": CORR},
            "ready_at": "2026-03-21T12:00:00.123456+00:00", "delay_seconds": 0})),
        case("MessageWithPayloadEvent", "large_msg_id_delay", json!({
            "event_type": "message_with_payload", "msg_id": 9_007_199_254_740_993_i64, "queue_name": "q",
            "namespace": "n", "message": {"k": UNICODE}, "ready_at": "2026-03-21T12:00:00Z", "delay_seconds": -5})),
        minimal("MessageWithPayloadEvent", "delay_defaulted", json!({
            "event_type": "message_with_payload", "msg_id": 1, "queue_name": "q", "namespace": "n",
            "message": null, "ready_at": "2026-03-21T12:00:00.5+02:00"})),
        case("MessageReadyEvent", "typical", json!({
            "event_type": "message_ready", "msg_id": 7, "queue_name": "worker_ecommerce_queue",
            "namespace": "ecommerce", "ready_at": "2026-03-21T12:00:00.123Z", "metadata": {"source": "trigger"},
            "visibility_timeout_seconds": 30})),
        minimal("MessageReadyEvent", "sql_shape", json!({
            "event_type": "message_ready", "msg_id": 8, "queue_name": "q", "namespace": "n",
            "ready_at": "2026-03-21T12:00:00.123456+00:00", "payload_omitted": true, "truncated": false})),
        case("QueueCreatedEvent", "typical", json!({
            "event_type": "queue_created", "queue_name": "worker_x_queue", "namespace": "x",
            "created_at": "2026-03-21T12:00:00Z", "metadata": {}})),
        case("BatchReadyEvent", "typical", json!({
            "event_type": "batch_ready", "msg_ids": [1, 2, 300000, i64::MAX], "queue_name": "q", "namespace": "n",
            "message_count": 4, "ready_at": "2026-03-21T12:00:00.000001Z", "metadata": {}, "delay_seconds": 0})),
        case("PgmqNotifyEvent", "message_ready", json!({
            "event_type": "message_ready", "msg_id": 1, "queue_name": "q", "namespace": "n",
            "ready_at": "2026-03-21T12:00:00Z", "metadata": {}, "visibility_timeout_seconds": null})),
        case("PgmqNotifyEvent", "message_with_payload", json!({
            "event_type": "message_with_payload", "msg_id": 2, "queue_name": "q", "namespace": "n",
            "message": [], "ready_at": "2026-03-21T12:00:00Z", "delay_seconds": 3})),
        case("PgmqNotifyEvent", "queue_created", json!({
            "event_type": "queue_created", "queue_name": "q", "namespace": "n",
            "created_at": "2026-03-21T12:00:00Z", "metadata": {"k": "v"}})),
        case("PgmqNotifyEvent", "batch_ready", json!({
            "event_type": "batch_ready", "msg_ids": [], "queue_name": "q", "namespace": "n", "message_count": 0,
            "ready_at": "2026-03-21T12:00:00Z", "metadata": {}, "delay_seconds": 0})),
        case("QueueCreatedEvent", "with_metadata", json!({
            "event_type": "queue_created", "queue_name": "worker_日本_queue", "namespace": "日本",
            "created_at": "2026-03-21T23:59:59.999999999Z", "metadata": {"by": "migration"}})),
        case("BatchReadyEvent", "empty", json!({
            "event_type": "batch_ready", "msg_ids": [], "queue_name": "q", "namespace": "n", "message_count": 0,
            "ready_at": "2026-03-21T12:00:00Z", "metadata": {"k": "v"}, "delay_seconds": 2_147_483_647})),
        // ---- TaskSequenceStep (§4)
        case("TaskSequenceStep", "standard_step", tss_standard()),
        case("TaskSequenceStep", "batch_worker_with_checkpoint", json!({
            "task": {"task": task(json!({"rows": 350, "name": UNICODE})), "task_name": "csv",
                     "task_version": "2.0.0", "namespace_name": "data"},
            "workflow_step": workflow_step("process_csv_batch_001", json!({
                "processing_mode": "inventory",
                "cursor": {"batch_id": "001", "start_cursor": 0, "end_cursor": 200, "batch_size": 200},
                "batch_metadata": {"cursor_field": "row_number", "failure_strategy": "continue_on_failure"},
                "is_no_op": false, "__template_step_name": "process_csv_batch"}),
                json!({"cursor": 75, "items_processed": 75, "timestamp": "2026-03-21T12:05:00.123456Z",
                       "accumulated_results": {"total_amount": 1234.5},
                       "history": [{"cursor": 25, "timestamp": "2026-03-21T12:04:00.004311+00:00"}]})),
            "dependency_results": {},
            "step_definition": {
                "name": "process_csv_batch", "description": null,
                "handler": {"callable": "data.ProcessCsvBatch", "method": "process", "resolver": "explicit_mapping",
                            "initialization": {}},
                "type": "batch_worker", "system_dependency": "s3", "dependencies": ["analyze_csv"],
                "retry": {"retryable": false, "max_attempts": 1, "backoff": "none",
                          "backoff_base_ms": null, "max_backoff_ms": null},
                "timeout_seconds": null, "publishes_events": [],
                "batch_config": {"batch_size": 200, "parallelism": 4, "cursor_field": "row_number",
                                 "worker_template": "process_csv_batch", "failure_strategy": "fail_fast"},
                "result_schema": {"type": "object", "required": ["rows"]}
            }
        })),
        case("TaskSequenceStep", "deep_dependency_results", json!({
            "task": {"task": task(Value::Null), "task_name": "deep", "task_version": "0.0.1", "namespace_name": "n"},
            "workflow_step": workflow_step("converge", Value::Null, Value::Null),
            "dependency_results": {
                "a": success_result("0195b7a2-1c3f-7000-8000-000000000001", deep(24)),
                "b": failure_result(),
            },
            "step_definition": {
                "name": "converge", "description": "", "type": "deferred_convergence",
                "handler": {"callable": "x.Converge", "method": null, "resolver": null, "initialization": {"k": [deep(3)]}},
                "system_dependency": null, "dependencies": ["a", "b"],
                "retry": {"retryable": true, "max_attempts": 100, "backoff": "fibonacci",
                          "backoff_base_ms": 3_600_000, "max_backoff_ms": 3_600_000},
                "timeout_seconds": 4_294_967_295_u32, "publishes_events": [
                    {"name": "a.b.c", "description": UNICODE, "condition": "permanent_failure", "schema": null,
                     "delivery_mode": "broadcast", "publisher": "custom_pub"},
                    {"name": "x.y", "description": "", "condition": "always", "schema": {"type": "object"},
                     "delivery_mode": "fast", "publisher": null}],
                "batch_config": null
            }
        })),
        // Exact integers and prototype-named keys in every serde_json::Value of a step: the task context, the
        // step's inputs, a dependency result (of a step named `__proto__`) and the handler's initialization.
        case("TaskSequenceStep", "exact_integers_and_prototype_keys", json!({
            "task": {"task": task(exact_data()), "task_name": "exact", "task_version": "1.0.0", "namespace_name": "n"},
            "workflow_step": workflow_step("echo", exact_data(), Value::Null),
            "dependency_results": {"__proto__": success_result("0195b7a2-1c3f-7000-8000-000000000001", exact_data())},
            "step_definition": {
                "name": "echo", "description": null, "type": "standard",
                "handler": {"callable": "x.Echo", "method": null, "resolver": null,
                            "initialization": {"exact": exact_data()}},
                "system_dependency": null, "dependencies": ["__proto__"],
                "retry": {"retryable": true, "max_attempts": 3, "backoff": "exponential",
                          "backoff_base_ms": 1000, "max_backoff_ms": 30000},
                "timeout_seconds": null, "publishes_events": [], "batch_config": null
            }
        })),
        minimal("TaskSequenceStep", "sparse_step_definition", json!({
            "task": {"task": {
                "task_uuid": TASK, "named_task_uuid": TASK, "complete": true, "requested_at": "2026-03-21T12:00:00",
                "identity_hash": "h", "priority": -100, "created_at": "2026-03-21T12:00:00",
                "updated_at": "2026-03-21T12:00:00", "correlation_id": CORR},
                "task_name": "t", "task_version": "1", "namespace_name": "n"},
            "workflow_step": {
                "workflow_step_uuid": STEP, "task_uuid": TASK, "named_step_uuid": STEP, "name": "s",
                "template_step_name": "s", "retryable": false, "in_process": false, "processed": true,
                "created_at": "2026-03-21T12:00:00", "updated_at": "2026-03-21T12:00:00"},
            "dependency_results": {},
            "step_definition": {"name": "s", "step_type": "decision", "depends_on": ["p"],
                                "handler": {"callable": "x.S"}, "retry": {}}
        })),
        // ---- StepExecutionResult (§5)
        case("StepExecutionResult", "success_full", success_result(STEP, json!({"charged": true, "amount": 250}))),
        case("StepExecutionResult", "failure_full", failure_result()),
        case("StepExecutionResult", "exact_integers_and_prototype_keys", success_result(STEP, exact_data())),
        case("StepExecutionResult", "napi_style_null_orchestration", json!({
            "step_uuid": STEP, "success": true, "result": {}, "status": "completed", "error": null,
            "orchestration_metadata": null,
            "metadata": {"execution_time_ms": i64::MAX, "handler_version": null, "retryable": true,
                         "completed_at": "2026-03-21T12:00:01Z", "worker_id": "typescript-worker-1",
                         "worker_hostname": null, "started_at": null, "custom": {}, "error_code": null,
                         "error_type": null, "context": {}}})),
        case("StepExecutionResult", "values_and_unicode", json!({
            "step_uuid": STEP, "success": false, "result": {
                "u64_max": u64::MAX, "i64_min": i64::MIN, "neg": -33, "f": -0.5, "tiny": 1e-7, "str": UNICODE,
                "nested": [[[]], {}, [null]], "decision_point_outcome": {"type": "create_steps", "step_names": ["a"]}},
            "status": "error", "error": {"message": UNICODE, "error_type": null, "backtrace": null, "retryable": false},
            "orchestration_metadata": {"headers": {}, "error_context": null,
                                       "backoff_hint": {"backoff_type": "ServerRequested", "delay_seconds": 4_294_967_295_u32, "context": "x"},
                                       "custom": {}},
            "metadata": {"execution_time_ms": -1, "handler_version": null, "retryable": false,
                         "completed_at": "2026-03-21T12:00:01.123456789Z", "worker_id": null,
                         "worker_hostname": null, "started_at": "2026-03-21T12:00:00.000001Z", "custom": {},
                         "error_code": null, "error_type": "permanent_error", "context": {}}})),
        minimal("StepExecutionResult", "strict_minimum_5_5", json!({
            "step_uuid": STEP, "success": true, "status": "completed", "result": {"charged": true},
            "metadata": {"execution_time_ms": 42, "retryable": false, "completed_at": "2026-03-21T12:00:01.250Z"}})),
        minimal("StepExecutionResult", "ruby_worker_shape", json!({
            "step_uuid": STEP, "success": false, "result": null, "error_message": "dropped",
            "metadata": {"completed_at": "2026-03-21T12:00:01Z", "worker_id": "ruby_worker",
                         "custom": {"error_type": "PermanentError"}}})),
        // ---- Outcomes (§6, §7)
        case("DecisionPointOutcome", "no_branches", json!({"type": "no_branches"})),
        case("DecisionPointOutcome", "create_steps", json!({"type": "create_steps", "step_names": ["manager_approval", "finance_review"]})),
        case("DecisionPointOutcome", "create_steps_empty", json!({"type": "create_steps", "step_names": []})),
        minimal("DecisionPointOutcome", "no_branches_extra_keys", json!({"type": "no_branches", "step_names": ["x"]})),
        case("BatchProcessingOutcome", "no_batches", json!({"type": "no_batches"})),
        case("BatchProcessingOutcome", "create_batches", json!({
            "type": "create_batches", "worker_template_name": "process_csv_batch", "worker_count": 2,
            "cursor_configs": [{"batch_id": "001", "start_cursor": 0, "end_cursor": 200, "batch_size": 200},
                               {"batch_id": "002", "start_cursor": 200, "end_cursor": 350, "batch_size": 150}],
            "total_items": 350})),
        case("BatchProcessingOutcome", "create_batches_value_cursors", json!({
            "type": "create_batches", "worker_template_name": "w", "worker_count": 4_294_967_295_u32,
            "cursor_configs": [{"batch_id": "a", "start_cursor": "2026-01-01", "end_cursor": {"id": u64::MAX}, "batch_size": 0},
                               {"batch_id": UNICODE, "start_cursor": null, "end_cursor": [1, "two"], "batch_size": 4_294_967_295_u32}],
            "total_items": u64::MAX})),
        case("BatchWorkerInputs", "typical", json!({
            "cursor": {"batch_id": "001", "start_cursor": 0, "end_cursor": 200, "batch_size": 200},
            "batch_metadata": {"cursor_field": "row_number", "failure_strategy": "continue_on_failure"},
            "is_no_op": false})),
        case("BatchWorkerInputs", "no_op_placeholder", json!({
            "cursor": {"batch_id": "000", "start_cursor": 0, "end_cursor": 0, "batch_size": 0},
            "batch_metadata": {"cursor_field": "id", "failure_strategy": "isolate"}, "is_no_op": true})),
        minimal("BatchWorkerInputs", "from_workflow_step_inputs", json!({
            "processing_mode": "inventory", "__template_step_name": "w",
            "cursor": {"batch_id": "002", "start_cursor": 200, "end_cursor": 350, "batch_size": 150},
            "batch_metadata": {"cursor_field": "row", "failure_strategy": "fail_fast"}, "is_no_op": false})),
        // ---- Checkpoints (§8)
        case("CheckpointYieldData", "typical", json!({"step_uuid": STEP, "cursor": 75, "items_processed": 75,
                                                      "accumulated_results": {"total_amount": 1234.5}})),
        case("CheckpointYieldData", "null_cursor_u64_max", json!({"step_uuid": STEP, "cursor": null,
                                                                  "items_processed": u64::MAX, "accumulated_results": null})),
        minimal("CheckpointYieldData", "accumulated_absent", json!({"step_uuid": STEP, "cursor": {"page": "p2"}, "items_processed": 0})),
        case("CheckpointRecord", "typical", json!({
            "cursor": 75, "items_processed": 75, "timestamp": "2026-03-21T12:05:00.123456Z",
            "accumulated_results": {"total_amount": 1234.5},
            "history": [{"cursor": 25, "timestamp": "2026-03-21T12:04:00.004311+00:00"},
                        {"cursor": 75, "timestamp": "2026-03-21T12:05:00.123771+00:00"}]})),
        case("CheckpointRecord", "empty_history", json!({
            "cursor": {"k": [UNICODE]}, "items_processed": 0, "timestamp": "2026-03-21T12:05:00Z",
            "accumulated_results": null, "history": []})),
        // ---- Domain events (§9)
        case("DomainEvent", "payment_charged", json!({
            "event_id": "0195b7a2-3000-7000-8000-000000000001", "event_name": "payment.charged", "event_version": "1.0",
            "payload": {"task_sequence_step": tss_standard(), "execution_result": success_result(STEP, json!({"ok": true})),
                        "payload": {"payment_id": "pi_1", "amount": 250}},
            "metadata": {"task_uuid": TASK, "step_uuid": STEP, "step_name": "charge_payment", "namespace": "ecommerce",
                         "correlation_id": CORR, "fired_at": "2026-03-21T12:00:03.500Z",
                         "fired_by": "ecommerce.handlers.ChargePaymentHandler"}})),
        case("DomainEvent", "task_level_nulls", json!({
            "event_id": MAX_UUID, "event_name": "order.summarized", "event_version": "1.0",
            "payload": {"task_sequence_step": tss_standard(), "execution_result": failure_result(), "payload": null},
            "metadata": {"task_uuid": TASK, "step_uuid": null, "step_name": null, "namespace": "n",
                         "correlation_id": CORR, "fired_at": "2026-03-21T12:00:03Z", "fired_by": UNICODE}})),
        // ---- TaskTemplate (§12)
        case("TaskTemplate", "full", json!({
            "name": "order_pipeline", "namespace_name": "ecommerce", "version": "1.0.0", "description": "Orders",
            "metadata": {"author": "payments-team", "tags": ["payment", "critical"], "documentation_url": null,
                         "created_at": "2026-01-01T00:00:00Z", "updated_at": null},
            "system_dependencies": {"primary": "default", "secondary": ["s3"]},
            "domain_events": [{"name": "order.summarized", "description": null, "schema": {"type": "object"}}],
            "input_schema": {"type": "object", "properties": {"order_id": {"type": "string"}}},
            "steps": [step_definition(), {
                "name": "route_order", "description": null, "type": "decision",
                "handler": {"callable": "ecommerce.handlers.RouteOrder", "method": null, "resolver": null, "initialization": {}},
                "system_dependency": null, "dependencies": [], "timeout_seconds": null, "publishes_events": [],
                "batch_config": null,
                "retry": {"retryable": true, "max_attempts": 5, "backoff": "linear", "backoff_base_ms": 500, "max_backoff_ms": 60000}}],
            "environments": {"test": {"steps": [{"name": "ALL", "handler": {"initialization": {"sandbox": true}},
                                                  "timeout_seconds": 10,
                                                  "retry": {"retryable": true, "max_attempts": 1, "backoff": "none",
                                                            "backoff_base_ms": null, "max_backoff_ms": null}}]}},
            "lifecycle": {"max_duration_minutes": 60, "max_waiting_for_dependencies_minutes": null,
                          "max_waiting_for_retry_minutes": 30, "max_steps_in_process_minutes": null,
                          "staleness_action": "dlq", "auto_fail_on_timeout": true, "auto_dlq_on_timeout": null}})),
        minimal("TaskTemplate", "yaml_shaped", json!({
            "name": "order_pipeline", "namespace_name": "ecommerce", "version": "1.0.0",
            "metadata": {"author": "a", "notes": "ignored"},
            "steps": [
                {"name": "validate_order", "handler": {"callable": "ecommerce.handlers.ValidateOrder", "initialization": {"strict": true}}},
                {"name": "route_order", "type": "decision", "depends_on": ["validate_order"], "handler": {"callable": "x.Route"}},
                {"name": "process_items", "type": "batch_worker", "dependencies": ["analyze_items"],
                 "handler": {"callable": "x.Process"}, "lifecycle": {"max_retries": 3},
                 "batch_config": {"batch_size": 200, "parallelism": 5, "cursor_field": "id",
                                  "worker_template": "process_items", "failure_strategy": "continue_on_failure"}},
                {"name": "summarize", "type": "deferred_convergence", "dependencies": ["process_items"],
                 "handler": {"callable": "x.Summarize", "method": "call"},
                 "publishes_events": [{"name": "order.summarized", "description": "Summary ready", "schema": {"type": "object"}}]}],
            "environments": {"test": {"steps": [{"name": "ALL", "timeout_seconds": 10, "retry": {"max_attempts": 1}}]}},
            "lifecycle": {"max_duration_minutes": 60}})),
        minimal("TaskTemplate", "bare", json!({"name": "t", "namespace_name": "_n", "version": "v"})),
    ];
    v.push(case("BatchConfiguration", "every_failure_strategy_continue", json!({
        "batch_size": 100000, "parallelism": 1000, "cursor_field": "id", "worker_template": "w",
        "failure_strategy": "continue_on_failure"})));
    v.push(case("BatchConfiguration", "isolate", json!({
        "batch_size": 1, "parallelism": 1, "cursor_field": UNICODE, "worker_template": "w", "failure_strategy": "isolate"})));
    v.push(case("DomainEventDefinition", "nulls", json!({"name": "a.b", "description": null, "schema": null})));
    v.push(case("HandlerOverride", "null_initialization", json!({"initialization": null})));
    v.push(case("HandlerOverride", "initialization", json!({"initialization": {"nested": deep(2)}})));
    // ---- States and the standard error types (§10, §11): every variant.
    for s in ["pending", "enqueued", "in_progress", "enqueued_for_orchestration", "enqueued_as_error_for_orchestration",
              "waiting_for_retry", "complete", "error", "cancelled", "resolved_manually"] {
        v.push(case("StepState", s, json!(s)));
    }
    for s in ["pending", "initializing", "enqueuing_steps", "steps_in_process", "evaluating_results",
              "waiting_for_dependencies", "waiting_for_retry", "blocked_by_failures", "complete", "error",
              "cancelled", "resolved_manually"] {
        v.push(case("TaskState", s, json!(s)));
    }
    for s in ["permanent_error", "retryable_error", "validation_error", "timeout", "handler_error"] {
        v.push(case("StandardErrorType", s, json!(s)));
    }
    v
}
