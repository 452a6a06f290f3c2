import { isolationSuite } from './isolation.suite.js';

// The process runtime's run of the isolation cases (issue 12.1); other drivers call the same suite.
isolationSuite('process');
