import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { wharfPaths } from '../../src/core/paths.js';
import { REPO, startWharf, type Wharf } from '../helpers/wharf.js';

// Issue 11.9: builds stay as built. What a replica or a one-off command writes lands in its own
// working copy, never in a kept release; each deploy (and rollback) starts from the release's
// bytes again; the app can still write in its working folder. A function of the runtime driver,
// like isolation.suite.ts.

/** Every file of a folder with its bytes' digest, sorted: equal before and after means unchanged. */
async function digestTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile()) out.push(`${path.relative(dir, file)} ${createHash('sha256').update(await readFile(file)).digest('hex')}`);
    else out.push(`${path.relative(dir, file)}/`);
  }
  return out.sort();
}

export function releasesSuite(driver: string, extraEnv: Record<string, string> = {}): void {
  describe(`releases stay as built on the ${driver} runtime`, { timeout: 180_000 }, () => {
    let wharf: Wharf;
    let dir: string;
    const host = 'web-imm.localhost';

    const cli = async (args: string[]) => {
      const result = await wharf.cli(args, { cwd: dir });
      assert.equal(result.code, 0, `wharf ${args.join(' ')}: ${result.stdout}${result.stderr}`);
      return result;
    };
    const get = async (urlPath: string) => {
      const res = await wharf.get(host, urlPath);
      return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
    };
    const releasesOf = async () => {
      const releases = wharfPaths(wharf.home).releases;
      const instances = await readdir(releases);
      assert.equal(instances.length, 1);
      const artifacts = (await readdir(path.join(releases, instances[0]!))).filter((name) => !name.startsWith('.'));
      return artifacts.map((artifact) => path.join(releases, instances[0]!, artifact));
    };

    before(async () => {
      wharf = await startWharf({ WHARF_HOST_PATTERN: '{service}-{project}.{base}', ...extraEnv });
      dir = path.join(wharf.home, 'src-imm');
      await cp(path.join(REPO, 'test/fixtures/snoop-app'), dir, { recursive: true });
      await cli(['init', '--name', 'imm']);
      await cli(['up']);
    });
    after(async () => {
      await wharf?.cleanup();
    });

    test('writes by a one-off command and a replica never reach the release; rollback runs the built bytes', async () => {
      const [release] = await releasesOf();
      const built = await digestTree(release!);
      assert.deepEqual((await get('/version')).body, { version: 'v1' });

      // A one-off command rewrites what it can: a new file, a shipped file replaced, one appended to.
      const tamper = "touch x; echo v-tampered > version.txt.new && mv version.txt.new version.txt; rm -f snoop.js; echo tampered >> server.js; cat version.txt; exit 0";
      const run = await cli(['run', '--remote', '--', 'sh', '-c', tamper]);
      assert.match(run.stdout, /v-tampered/, 'the command saw its own writes');
      assert.deepEqual(await digestTree(release!), built, 'the one-off command changed the release');

      // The replica writes in its folder; a shipped file can be replaced there but never changed in place.
      const written = await get('/write?name=x.txt');
      assert.equal(written.status, 200, JSON.stringify(written.body));
      assert.equal((await get('/read?name=x.txt')).body.exists, true, 'the replica can read back what it wrote');
      assert.equal((await get('/version')).body.version, 'v1', 'the one-off command’s writes did not reach the replica');
      const inPlace = await get('/write?name=server.js');
      assert.ok(inPlace.status === 500 || (await digestTree(release!)).join() === built.join(), 'a shipped file was changed in place');
      assert.deepEqual(await digestTree(release!), built, 'the replica changed the release');

      // Deploy v2, then roll back to v1: the built bytes, and a fresh working folder.
      await writeFile(path.join(dir, 'version.txt'), 'v2\n');
      await cli(['up']);
      assert.deepEqual((await get('/version')).body, { version: 'v2' });
      assert.equal((await get('/read?name=x.txt')).body.exists, false, 'a new deployment starts from its release, not the old working folder');
      await cli(['rollback']);
      assert.deepEqual((await get('/version')).body, { version: 'v1' });
      assert.equal((await get('/read?name=x.txt')).body.exists, false, 'the rollback starts from the release');
      assert.equal((await get('/read?name=snoop.js')).body.exists, true, 'files a command deleted are back');
      assert.deepEqual(await digestTree(release!), built, 'the release is as it was built');
    });
  });
}
