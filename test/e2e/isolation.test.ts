import { isolationSuite } from './isolation.suite.js';
import { releasesSuite } from './releases.suite.js';

// The process runtime's run of the isolation cases (issues 12.1 and 11.9); other drivers call
// the same suites.
isolationSuite('process');
releasesSuite('process');
