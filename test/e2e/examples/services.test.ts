import { useExampleFleet } from './harness.js';
import { serviceScenarios } from './scenarios/services.js';

serviceScenarios(useExampleFleet());
