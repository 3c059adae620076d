import { useExampleFleet } from './harness.js';
import { mathScenarios } from './scenarios/math.js';

mathScenarios(useExampleFleet());
