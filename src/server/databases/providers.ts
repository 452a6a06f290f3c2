import type { DatabaseEngine, DatabaseProvider } from '../../core/database.js';
import { createMongoProvider } from './mongo/mongo-provider.js';
import { createMysqlProvider } from './mysql/mysql-provider.js';
import { createPostgresProvider } from './postgres/postgres-provider.js';
import { createRedisProvider } from './redis/redis-provider.js';
import type { Providers } from './spec.js';
import { dockerTools, type DockerTools } from './docker/docker-tools.js';

/** Every engine's provider; each checks its own binaries when first used. `docker` serves their docker variants. */
export function defaultProviders(docker: DockerTools = dockerTools()): Providers {
  const providers: Record<DatabaseEngine, DatabaseProvider> = {
    postgres: createPostgresProvider({ docker }),
    redis: createRedisProvider({ docker }),
    mysql: createMysqlProvider({ docker }),
    mongo: createMongoProvider({ docker }),
  };
  return providers;
}
