import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { docker, Lab, missing, NODE } from './image-build-helpers.js';

// Auto-detected apps on the docker runtime (issue 13 part 3): the same plan the process runtime
// runs, as a generated Dockerfile on a base image (WHARF_DOCKER_BASE_NODE; in tests the local
// wharf-local/node:20). Under CI=true a missing engine or base image fails the run.

const reason = await missing();
const lab = new Lab();

const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
http.createServer((req, res) => {
  res.end(JSON.stringify({ uid: process.getuid(), port: process.env.PORT, built: fs.readFileSync('built.txt', 'utf8').trim(), ci: process.env.CI ?? null }));
}).listen(Number(process.env.PORT), '0.0.0.0');
`;

describe('auto-detected apps as images', { skip: reason ?? false, concurrency: false }, () => {
  after(() => lab.cleanup());

  test('a Node app (package.json with a start script) becomes an image that answers on $PORT as a non-root user', async () => {
    const source = await lab.source({
      'package.json': JSON.stringify({ name: 'app', scripts: { build: 'node build.js', start: 'node server.js' } }),
      'build.js': "require('node:fs').writeFileSync('built.txt', 'ci=' + process.env.CI + ' secret=' + (process.env.SECRET_TOKEN ?? 'absent'));",
      'server.js': SERVER,
    });
    const plan = await lab.plan(source);
    assert.equal(plan.builder, 'NODE');
    const { artifact, lines } = await lab.build(plan, source, { env: { SECRET_TOKEN: 'must-not-reach-the-image' } });
    assert.ok(lines.some((l) => l.includes('generated Dockerfile')));
    assert.ok(lines.some((l) => l.trim() === `FROM ${NODE}`), lines.join('\n'));
    assert.ok(lines.some((l) => l.trim() === 'RUN ["npm","run","build"]'));
    assert.ok(lines.some((l) => l.trim() === 'CMD ["npm","start"]'));
    assert.equal(artifact.ref.kind, 'image');
    if (artifact.ref.kind !== 'image') return;
    const info = await docker.getImage(artifact.ref.digest).inspect();
    assert.equal(info.Config.User, '10001:10001');
    assert.ok(!(info.Config.Env ?? []).some((e) => e.startsWith('CI=')), 'CI=true is a build-time default only');
    const body = JSON.parse(await lab.get(await lab.serve(artifact.ref.digest)));
    assert.deepEqual(body, { uid: 10001, port: '8080', built: 'ci=true secret=absent', ci: null });
    const history = JSON.stringify(await docker.getImage(artifact.ref.digest).history());
    assert.doesNotMatch(history, /must-not-reach-the-image/);
  });

  test('a static site is served by Wharf\'s static server inside the image', async (t) => {
    const source = await lab.source({ 'public/index.html': '<h1>static-in-docker</h1>\n' });
    const plan = await lab.plan(source);
    assert.equal(plan.builder, 'STATIC');
    let built;
    try {
      built = await lab.build(plan, source);
    } catch (err) {
      if (process.env.CI !== 'true' && /static server is missing/.test((err as Error).message)) return t.skip('dist/static-server is not built (npm run build)');
      throw err;
    }
    assert.ok(built.lines.some((l) => l.trim() === 'CMD ["node",".wharf/static-server/main.js","public"]'), built.lines.join('\n'));
    const ref = built.artifact.ref as { digest: string };
    const url = await lab.serve(ref.digest);
    assert.match(await lab.get(url + '/'), /static-in-docker/);
  });

  test('a Procfile app runs its web process', async () => {
    const source = await lab.source({ Procfile: 'web: node server.js\n', 'server.js': SERVER, 'built.txt': 'procfile' });
    const plan = await lab.plan(source);
    assert.equal(plan.builder, 'PROCFILE');
    const { artifact } = await lab.build(plan, source);
    const ref = artifact.ref as { digest: string };
    const body = JSON.parse(await lab.get(await lab.serve(ref.digest)));
    assert.equal(body.built, 'procfile');
  });
});
