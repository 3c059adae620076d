// The examples suite's branching scenarios (test/e2e/examples/scenarios/branching.ts) under the real `tasker-server`.
import { branchingScenarios } from '../e2e/examples/scenarios/branching.js';
import { useServerExampleFleet } from './support/example-fleet.js';

branchingScenarios(useServerExampleFleet('examples-branching'));
