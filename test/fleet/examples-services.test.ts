// The examples suite's services scenarios (test/e2e/examples/scenarios/services.ts) under the real `tasker-server`.
import { serviceScenarios } from '../e2e/examples/scenarios/services.js';
import { useServerExampleFleet } from './support/example-fleet.js';

serviceScenarios(useServerExampleFleet('examples-services'));
