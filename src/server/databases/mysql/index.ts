export { createMysqlProvider } from './mysql-provider.js';
export { MYSQL_INSTALL_HINT } from './mysql-binaries.js';
