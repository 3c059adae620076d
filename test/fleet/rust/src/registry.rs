//! Our `StepHandlerRegistry`: handlers looked up by the template step's `handler.callable`, the key upstream's
//! dispatch service resolves with.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use tasker_shared::types::base::TaskSequenceStep;
use tasker_worker::worker::{StepHandler, StepHandlerRegistry};

use crate::handlers;

pub struct FleetRegistry {
    handlers: RwLock<HashMap<String, Arc<dyn StepHandler>>>,
}

impl FleetRegistry {
    /// Every handler of this worker (handlers::all), each under its callable.
    pub fn with_fleet_handlers() -> Self {
        let registry = Self {
            handlers: RwLock::new(HashMap::new()),
        };
        for handler in handlers::all() {
            let name = handler.name().to_string();
            registry.register(&name, handler);
        }
        registry
    }

    pub fn names(&self) -> Vec<String> {
        let mut names = self.registered_handlers();
        names.sort();
        names
    }
}

#[async_trait]
impl StepHandlerRegistry for FleetRegistry {
    async fn get(&self, step: &TaskSequenceStep) -> Option<Arc<dyn StepHandler>> {
        let handlers = self.handlers.read().unwrap_or_else(|e| e.into_inner());
        handlers
            .get(&step.step_definition.handler.callable)
            .cloned()
    }

    fn register(&self, name: &str, handler: Arc<dyn StepHandler>) {
        let mut handlers = self.handlers.write().unwrap_or_else(|e| e.into_inner());
        handlers.insert(name.to_string(), handler);
    }

    fn handler_available(&self, name: &str) -> bool {
        let handlers = self.handlers.read().unwrap_or_else(|e| e.into_inner());
        handlers.contains_key(name)
    }

    fn registered_handlers(&self) -> Vec<String> {
        let handlers = self.handlers.read().unwrap_or_else(|e| e.into_inner());
        handlers.keys().cloned().collect()
    }
}
