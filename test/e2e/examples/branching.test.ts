import { useExampleFleet } from './harness.js';
import { branchingScenarios } from './scenarios/branching.js';

branchingScenarios(useExampleFleet());
