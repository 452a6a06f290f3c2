export { createRedisProvider, REDIS_INSTALL_HINT } from './redis-provider.js';
