import { requireBinary } from '../tools.js';

export const MONGO_INSTALL_HINT =
  "MongoDB is not in Debian's archive: add MongoDB's own apt repository (https://www.mongodb.com/docs/manual/tutorial/install-mongodb-on-debian/) and apt-get install mongodb-org-server mongodb-mongosh mongodb-database-tools (or the mongodb-org metapackage).";

export interface MongoBinaries {
  server: string;
  shell: string;
  dump: string;
  restore: string;
}

export function mongoBinaries(binDir?: string): MongoBinaries {
  return {
    server: requireBinary(['mongod'], binDir, MONGO_INSTALL_HINT),
    shell: requireBinary(['mongosh'], binDir, MONGO_INSTALL_HINT),
    dump: requireBinary(['mongodump'], binDir, MONGO_INSTALL_HINT),
    restore: requireBinary(['mongorestore'], binDir, MONGO_INSTALL_HINT),
  };
}

/** The shell and the database tools: all the host needs when the server is an image's. */
export function mongoClientBinaries(binDir?: string): Omit<MongoBinaries, 'server'> {
  return {
    shell: requireBinary(['mongosh'], binDir, MONGO_INSTALL_HINT),
    dump: requireBinary(['mongodump'], binDir, MONGO_INSTALL_HINT),
    restore: requireBinary(['mongorestore'], binDir, MONGO_INSTALL_HINT),
  };
}
