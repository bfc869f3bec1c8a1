// Loader fixture (a suite directory): the smallest valid scenario.
import { defineScenario } from 'fleetbed';

export default defineScenario({ name: 'minimal', description: 'Defaults everywhere.' });
