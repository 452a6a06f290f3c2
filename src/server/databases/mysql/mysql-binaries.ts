import path from 'node:path';
import { findBinary, requireBinary } from '../tools.js';

// MariaDB's names first (Debian ships MariaDB), MySQL's as the fallback.

export const MYSQL_INSTALL_HINT = 'Install MariaDB: apt-get install mariadb-server mariadb-client (it provides mariadbd, mariadb-install-db, mariadb and mariadb-dump).';

export interface MysqlBinaries {
  server: string;
  /** null: an Oracle MySQL server initialises its own data dir (mysqld --initialize-insecure). */
  installDb: string | null;
  client: string;
  dump: string;
}

export function mysqlBinaries(binDir?: string): MysqlBinaries {
  const server = requireBinary(['mariadbd', 'mysqld'], binDir, MYSQL_INSTALL_HINT);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db'], binDir);
  if (installDb === null && path.basename(server) === 'mariadbd') {
    requireBinary(['mariadb-install-db', 'mysql_install_db'], binDir, MYSQL_INSTALL_HINT);
  }
  return {
    server,
    installDb,
    client: requireBinary(['mariadb', 'mysql'], binDir, MYSQL_INSTALL_HINT),
    dump: requireBinary(['mariadb-dump', 'mysqldump'], binDir, MYSQL_INSTALL_HINT),
  };
}
