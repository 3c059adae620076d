// The examples suite's math scenarios (test/e2e/examples/scenarios/math.ts) under the real `tasker-server`.
import { mathScenarios } from '../e2e/examples/scenarios/math.js';
import { useServerExampleFleet } from './support/example-fleet.js';

mathScenarios(useServerExampleFleet('examples-math'));
