import { LogWriter } from '../shared/log-writer.js';
import { Keyring, keyringOptionsFromEnv } from '../shared/secrets/keyring.js';
import { Redactor } from '../shared/secrets/redact.js';
import { KEY_FILE_ENV, openSpec, type StoredSpec } from './sealed-spec.js';
import { readSpecSync, readStopGraceMs, type SupervisedSpec } from './status-file.js';
import { Supervisor } from './supervisor.js';

// One supervisor process per replica: `main.js <replica dir>`. It is started detached by
// the process runtime and outlives it, so apps keep running while the control plane is
// down; a restarted control plane adopts it by reading <dir>/status.json.

const dir = process.argv[2];
if (!dir) {
  console.error('usage: supervisor <replica dir>');
  process.exit(2);
}

const stored: StoredSpec<SupervisedSpec> = readSpecSync(dir);
const keyFile = process.env[KEY_FILE_ENV];
const box = stored.sealed && keyFile ? Keyring.load(keyringOptionsFromEnv(keyFile)) : null;
const spec = openSpec(stored, box);
const redactor = new Redactor(spec.secretValues ?? []);
const log = new LogWriter(spec.logFile, (message) => redactor.redact(message));
const supervisor = new Supervisor(dir, spec, log, (code) => process.exit(code));

const stop = () => void supervisor.stop(readStopGraceMs(dir) ?? spec.stopGraceMs);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The terminal or session it came from may go away; that is no reason to stop.
process.on('SIGHUP', () => {});
process.on('uncaughtException', (err) => void supervisor.fail(err));
process.on('unhandledRejection', (err) => void supervisor.fail(err));

supervisor.start();
