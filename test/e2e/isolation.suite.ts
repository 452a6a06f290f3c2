import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { wharfPaths } from '../../src/core/paths.js';
import { REPO, startWharf, type Wharf } from '../helpers/wharf.js';

// Issue 12.1: an app cannot reach Wharf or another app. A "snoop" app (test/fixtures/snoop-app)
// tries, from a replica and from `wharf run --remote`, every read an attacker's app made before:
// the CLI config (admin token), the key file, the database, the router's admin socket (PUT
// /routes), another project's replica environment in /proc, another app's files and release,
// the control plane's own /proc, the API without a token; each must fail. A function of the
// runtime driver, so that later drivers (Docker, Swarm) run the same cases.

interface Attempt {
  ok: boolean;
  detail: string;
}
interface Identity {
  uid: number;
  gid: number;
  groups: number[];
  cwd: string;
  pid: number;
  home: string;
  builtBy?: { uid: number; gid: number } | null;
}

const encode = (targets: unknown) => Buffer.from(JSON.stringify(targets)).toString('base64');

export function isolationSuite(driver: string, extraEnv: Record<string, string> = {}): void {
  const root = process.getuid?.() === 0;
  describe(`isolation on the ${driver} runtime`, { timeout: 180_000, skip: !root && 'apps can be isolated only when Wharf runs as root' }, () => {
    let wharf: Wharf;
    const dirs: Record<string, string> = {};

    const cli = async (args: string[], cwd: string) => {
      const result = await wharf.cli(args, { cwd });
      assert.equal(result.code, 0, `wharf ${args.join(' ')}: ${result.stdout}${result.stderr}`);
      return result;
    };
    const getJson = async <T>(project: string, urlPath: string): Promise<T> => {
      const res = await wharf.get(`web-${project}.localhost`, urlPath);
      assert.equal(res.status, 200, `${project} ${urlPath}: ${res.body}`);
      return JSON.parse(res.body) as T;
    };

    /** Everything the snoop must not reach, with the paths and pids of this Wharf. */
    async function targets() {
      const paths = wharfPaths(wharf.home);
      const victim = await getJson<Identity>('victim', '/whoami');
      const releases: Record<string, string> = {};
      for (const instance of await readdir(paths.releases)) {
        for (const artifact of await readdir(path.join(paths.releases, instance))) {
          releases[`release ${instance}/${artifact}/server.js`] = path.join(paths.releases, instance, artifact, 'server.js');
        }
      }
      const routerPid = Number((await readFile(paths.routerPidFile, 'utf8')).trim());
      const api = `http://127.0.0.1:${wharf.apiPort}`;
      return {
        files: {
          'the CLI config (admin token)': paths.cliConfig,
          'the key file': paths.secretKey,
          'the database': paths.database,
          'the router table': paths.routerTable,
          "another project's file": path.join(victim.cwd, 'server.js'),
          ...releases,
        },
        dirs: {
          'the state folder': paths.home,
          'the releases': paths.releases,
          "another project's working folder": victim.cwd,
          "the apps' folders": path.join(paths.apps, 'replicas'),
        },
        environ: {
          "another project's replica": victim.pid,
          'the control plane': wharf.server!.pid!,
          'the router': routerPid,
        },
        signal: { "another project's replica": victim.pid, 'the control plane': wharf.server!.pid! },
        write: { "another project's file": path.join(victim.cwd, 'server.js') },
        routerSocket: paths.routerSocket,
        api: {
          projects: `${api}/v1/projects`,
          "another project's variables": `${api}/v1/projects/victim/environments/production/services/web/variables`,
        },
      };
    }

    const assertRefused = (results: Record<string, Attempt>, where: string) => {
      assert.ok(Object.keys(results).length >= 15, `${where}: every attempt ran (${Object.keys(results).join(', ')})`);
      const worked = Object.entries(results).filter(([, r]) => r.ok);
      assert.deepEqual(worked, [], `${where}: these reads must fail`);
    };

    const assertUnprivileged = (who: Identity, where: string) => {
      assert.notEqual(who.uid, 0, `${where} runs as root`);
      assert.notEqual(who.gid, 0, `${where} runs in group root`);
      assert.deepEqual(who.groups.filter((g) => g !== who.gid), [], `${where} keeps supplementary groups: ${who.groups.join(' ')}`);
      assert.ok(!path.resolve(who.cwd).startsWith(path.resolve(wharf.home) + path.sep), `${where} works inside the state folder: ${who.cwd}`);
    };

    before(async () => {
      wharf = await startWharf({ WHARF_HOST_PATTERN: '{service}-{project}.{base}', ...extraEnv });
      for (const project of ['snoop', 'victim']) {
        const dir = path.join(wharf.home, `src-${project}`);
        await cp(path.join(REPO, 'test/fixtures/snoop-app'), dir, { recursive: true });
        dirs[project] = dir;
        await cli(['init', '--name', project], dir);
        await cli(['up'], dir);
        await cli(['variables', '--set', `VICTIM_SECRET=secret-of-${project}`], dir);
      }
    });
    after(async () => {
      await wharf?.cleanup();
    });

    test('each service runs, and was built, as its own unprivileged user outside the state folder', async () => {
      const snoop = await getJson<Identity>('snoop', '/whoami');
      const victim = await getJson<Identity>('victim', '/whoami');
      assertUnprivileged(snoop, 'the snoop replica');
      assertUnprivileged(victim, 'the victim replica');
      assert.notEqual(snoop.uid, victim.uid, 'two services share a user');
      assert.equal(snoop.builtBy?.uid, snoop.uid, 'the build ran as the service user');
      assert.equal(snoop.home, snoop.cwd, 'HOME is the replica’s own folder');
    });

    test('a replica cannot read Wharf’s state, the router’s socket, or another app', async () => {
      const results = await getJson<Record<string, Attempt>>('snoop', `/snoop?t=${encode(await targets())}`);
      assertRefused(results, 'the snoop replica');
      const victim = await getJson<{ exists: boolean; content: string | null }>('victim', '/read?name=server.js');
      assert.ok(victim.content && !victim.content.includes('snooped'), 'the victim’s file is unchanged');
    });

    test('a one-off command (wharf run --remote) is held the same way, and can write its own folder', async () => {
      const run = await cli(['run', '--remote', '--', 'node', 'snoop.js', encode(await targets())], dirs.snoop!);
      const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
      assert.ok(line, `no report in: ${run.stdout}`);
      const report = JSON.parse(line) as { identity: Identity; results: Record<string, Attempt>; own: Attempt };
      assertUnprivileged(report.identity, 'the one-off command');
      const replica = await getJson<Identity>('snoop', '/whoami');
      assert.equal(report.identity.uid, replica.uid, 'the one-off command runs as the service user');
      assertRefused(report.results, 'the one-off command');
      assert.deepEqual(report.own, { ok: true, detail: 'mine' }, 'it can write in its working folder');
    });
  });
}
