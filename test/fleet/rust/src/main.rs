//! The fleet tests' native Rust worker: upstream's worker core (`tasker-worker` 0.1.8) with our handlers.
//!
//! Bootstrapped the way upstream's native Rust workers are: `WorkerBootstrap::bootstrap()` loads the one pre-merged
//! TOML named by `TASKER_CONFIG_PATH`, registers the templates under `TASKER_TEMPLATE_PATH` (their namespaces are
//! the ones served) and starts the core; a `HandlerDispatchService` over our `StepHandlerRegistry` then runs the
//! handlers the core dispatches, and publishes their steps' domain events (`DomainEventCallback`). Started by test/fleet/support/rust-worker.ts, which waits for the line
//! `FLEET_RUST_WORKER_READY <worker_id>` on stdout. Runs until SIGTERM/SIGINT, or until its parent process is gone
//! when `FLEET_EXIT_WITH_PARENT=1` (a test runner that dies must not leave this worker claiming steps).

mod handlers;
mod registry;
mod values;

use std::sync::Arc;
use std::time::Duration;

use tasker_worker::worker::step_event_publisher_registry::StepEventPublisherRegistry;
use tasker_worker::worker::{DomainEventCallback, HandlerDispatchConfig, HandlerDispatchService};
use tasker_worker::WorkerBootstrap;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::RwLock;
use tracing::{error, info};

use crate::registry::FleetRegistry;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Taken first: a parent that dies while we bootstrap must still count as gone.
    let parent = std::os::unix::process::parent_id();
    tasker_shared::logging::init_tracing();

    let registry = Arc::new(FleetRegistry::with_fleet_handlers());
    let mut worker = WorkerBootstrap::bootstrap().await?;

    let dispatch = worker
        .take_dispatch_handles()
        .ok_or("the worker core handed out no dispatch handles")?;
    let settings = worker
        .tasker_config
        .worker
        .as_ref()
        .map(|w| w.mpsc_channels.handler_dispatch.clone())
        .ok_or("the configuration has no [worker] table")?;
    let config = HandlerDispatchConfig::from_config(
        settings.max_concurrent_handlers as usize,
        u64::from(settings.handler_timeout_ms),
        "fleet-rust-handler-dispatch".to_string(),
    );
    // Domain events: each step's `publishes_events` are published after its handler, by upstream's default
    // publisher routed by delivery mode, the way upstream's own Rust workers wire it (tasker-example-rs bootstrap).
    let events = {
        let core = worker.worker_core.lock().await;
        let publisher = core.domain_event_publisher();
        let publishers = match core.event_router() {
            Some(router) => StepEventPublisherRegistry::with_event_router(publisher, router),
            None => StepEventPublisherRegistry::new(publisher),
        };
        Arc::new(DomainEventCallback::new(Arc::new(RwLock::new(publishers))))
    };
    let (service, _capacity) = HandlerDispatchService::with_callback(
        dispatch.dispatch_receiver,
        dispatch.completion_sender,
        registry.clone(),
        config,
        events,
    );
    let dispatcher = tokio::spawn(service.run());

    info!(
        handlers = ?registry.names(),
        namespaces = ?worker.supported_namespaces().await,
        "fleet Rust worker ready"
    );
    println!("FLEET_RUST_WORKER_READY {}", worker.worker_config.worker_id);

    wait_for_stop(parent).await?;

    info!("stopping the fleet Rust worker");
    if let Err(e) = worker.stop().await {
        error!(error = %e, "the worker core did not stop cleanly");
    }
    dispatcher.abort();
    Ok(())
}

/// SIGTERM, SIGINT, or (with `FLEET_EXIT_WITH_PARENT=1`) the exit of `parent`, the process that started us.
async fn wait_for_stop(parent: u32) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let orphaned = async {
        if std::env::var("FLEET_EXIT_WITH_PARENT").as_deref() != Ok("1") {
            return std::future::pending::<()>().await;
        }
        // Linux gives an orphan a new parent (init or a subreaper): a changed parent id means ours exited.
        while std::os::unix::process::parent_id() == parent {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    tokio::select! {
        _ = term.recv() => info!("received SIGTERM"),
        _ = int.recv() => info!("received SIGINT"),
        () = orphaned => info!("parent process exited"),
    }
    Ok(())
}
