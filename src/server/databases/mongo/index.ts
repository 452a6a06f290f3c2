export { createMongoProvider } from './mongo-provider.js';
export { MONGO_INSTALL_HINT } from './mongo-binaries.js';
