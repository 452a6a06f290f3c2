import type { DatabaseEngine, DatabaseProvider } from '../../core/database.js';
import { createMongoProvider } from './mongo/mongo-provider.js';
import { createMysqlProvider } from './mysql/mysql-provider.js';
import { createPostgresProvider } from './postgres/postgres-provider.js';
import { createRedisProvider } from './redis/redis-provider.js';
import type { Providers } from './spec.js';

/** Every engine's provider; each checks its own binaries when first used. */
export function defaultProviders(): Providers {
  const providers: Record<DatabaseEngine, DatabaseProvider> = {
    postgres: createPostgresProvider(),
    redis: createRedisProvider(),
    mysql: createMysqlProvider(),
    mongo: createMongoProvider(),
  };
  return providers;
}
