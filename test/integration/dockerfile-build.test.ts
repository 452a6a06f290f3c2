import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isWharfError } from '../../src/core/errors.js';
import { homeLabel } from '../../src/server/builders/image/engine.js';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DEBIAN, docker, Lab, missing, NODE, tagExists } from './image-build-helpers.js';

// Dockerfile builds through the Engine API on the real engine (issue 13 part 2). Under CI=true
// a missing engine or base image fails the run (scripts/run-tests.mjs); elsewhere it skips.

const reason = await missing();
const lab = new Lab();

describe('Dockerfile builds', { skip: reason ?? false, concurrency: false }, () => {
  after(() => lab.cleanup());

  test('a multi-stage Dockerfile builds its --target stage, and the image runs', async () => {
    const source = await lab.source({
      Dockerfile: [
        `FROM ${DEBIAN} AS build`,
        'RUN echo built-in-stage-build > /artifact.txt',
        `FROM ${DEBIAN} AS runtime`,
        'COPY --from=build /artifact.txt /artifact.txt',
        'CMD ["cat", "/artifact.txt"]',
        'FROM runtime AS debug',
        'RUN echo debug > /debug.txt',
        '',
      ].join('\n'),
    });
    const plan = await lab.plan(source, { dockerTarget: 'runtime' });
    assert.equal(plan.builder, 'DOCKERFILE');
    const { artifact, lines, tag } = await lab.build(plan, source);
    assert.equal(artifact.ref.kind, 'image');
    if (artifact.ref.kind !== 'image') return;
    assert.equal(artifact.ref.image, tag);
    assert.match(artifact.ref.digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok((artifact.sizeBytes ?? 0) > 0);
    assert.ok(lines.some((l) => /^#\d+ \[build 2\/2\] RUN echo built-in-stage-build/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^#\d+ DONE \d+\.\ds$/.test(l)));
    assert.ok(lines.some((l) => /with BuildKit/.test(l)), 'this engine (20.10, no Builder-Version header) gets BuildKit');
    assert.equal((await lab.run(artifact.ref.digest)).trim(), 'built-in-stage-build');
    assert.match(await lab.run(artifact.ref.digest, ['sh', '-c', 'ls /debug.txt 2>&1 || true']), /No such file/);
    const info = await docker.getImage(artifact.ref.digest).inspect();
    assert.equal(info.Config.Labels?.['wharf.managed'], '1');
    assert.equal(info.Config.Labels?.['wharf.instance'], lab.instanceId);
  });

  test('Dockerfile.worker through dockerfilePath; a Dockerfile outside the context (dockerContext)', async () => {
    const source = await lab.source({
      Dockerfile: `FROM ${DEBIAN}\nCMD ["echo", "web"]\n`,
      'Dockerfile.worker': `FROM ${DEBIAN}\nCMD ["echo", "worker"]\n`,
      'docker/api.Dockerfile': `FROM ${DEBIAN}\nCOPY . /ctx\nCMD ["ls", "-A", "/ctx"]\n`,
      'api/main.txt': 'x',
    });
    const worker = await lab.build(await lab.plan(source, { dockerfilePath: 'Dockerfile.worker' }), source);
    assert.equal((await lab.run(digest(worker.artifact))).trim(), 'worker');
    const api = await lab.build(await lab.plan(source, { dockerfilePath: 'docker/api.Dockerfile', dockerContext: 'api' }), source);
    // BuildKit (20.10) copies what the archive holds: the Dockerfile brought in from outside too.
    assert.match((await lab.run(digest(api.artifact))).trim(), /^(\.wharf\.Dockerfile\s+)?main\.txt$/);
  });

  test('build args: only the ARGs the Dockerfile declares reach the build', async () => {
    const source = await lab.source({ Dockerfile: `ARG GLOBAL_ONE=default\nFROM ${DEBIAN}\nARG DECLARED\nARG GLOBAL_ONE\nRUN env > /x\n` });
    const plan = await lab.plan(source);
    assert.deepEqual(plan.dockerfile?.args, ['GLOBAL_ONE', 'DECLARED']);
    const { artifact, lines } = await lab.build(plan, source, { env: { DECLARED: 'yes-declared', UNDECLARED_SECRET: 'must-not-leak', GLOBAL_ONE: 'from-env' } });
    const env = await lab.run(digest(artifact), ['cat', '/x']);
    assert.match(env, /DECLARED=yes-declared/);
    assert.match(env, /GLOBAL_ONE=from-env/);
    assert.doesNotMatch(env, /UNDECLARED_SECRET|must-not-leak/);
    assert.ok(lines.some((l) => /build args: GLOBAL_ONE, DECLARED/.test(l)));
  });

  test('a second build of the same context reuses cached layers', async () => {
    const files = { Dockerfile: `FROM ${DEBIAN}\nRUN echo step-one > /one\nRUN echo step-two > /two\n`, 'a.txt': randomBytes(8).toString('hex') };
    const source = await lab.source(files);
    const plan = await lab.plan(source);
    const first = await lab.build(plan, source);
    const second = await lab.build(plan, source);
    assert.ok((second.artifact.cachedSteps ?? 0) >= 2, `cachedSteps ${second.artifact.cachedSteps}`);
    assert.ok(second.lines.some((l) => /^#\d+ CACHED$/.test(l)), second.lines.join('\n'));
    assert.notEqual(digest(first.artifact), digest(second.artifact), 'each artifact is its own image (its wharf.artifact label)');
  });

  test('RUN --mount=type=cache keeps its cache between builds (BuildKit)', async () => {
    const id = `wharf-test-${randomBytes(4).toString('hex')}`;
    const source = await lab.source({ Dockerfile: `FROM ${DEBIAN}\nARG BUST\nRUN --mount=type=cache,id=${id},target=/cache echo "$BUST" >> /cache/runs && wc -l < /cache/runs > /count\n` });
    const plan = await lab.plan(source);
    await lab.build(plan, source, { env: { BUST: '1' } });
    const second = await lab.build(plan, source, { env: { BUST: '2' } });
    assert.equal((await lab.run(digest(second.artifact), ['cat', '/count'])).trim(), '2');
  });

  for (const builder of ['BuildKit', 'legacy'] as const) test(`a failing RUN fails the build with its output, and leaves no tag nor container (${builder})`, async () => {
    const marker = randomBytes(4).toString('hex');
    const source = await lab.source({ Dockerfile: `FROM ${DEBIAN}\nRUN echo output-before-failing ${marker} && exit 3\n` });
    const plan = await lab.plan(source);
    let tag = '';
    await assert.rejects(lab.build(plan, source, { settings: { buildkit: builder === 'legacy' ? '0' : '1' } }), (err: unknown) => {
      assert.ok(isWharfError(err));
      assert.equal(err.code, 'BUILD_FAILED');
      assert.match(err.message, /(exit code: 3|returned a non-zero code: 3)/);
      const lines = (err as unknown as { lines: string[] }).lines;
      tag = (err as unknown as { tag: string }).tag;
      assert.ok(lines.some((l) => l.includes('output-before-failing')), lines.join('\n'));
      assert.ok((err.details as { output: string[] }).output.some((l) => l.includes('output-before-failing')));
      return true;
    });
    assert.equal(await tagExists(tag), false);
    const all = await docker.listContainers({ all: true });
    assert.ok(!all.some((c) => c.Command.includes(marker)), 'forcerm removed the failed step\'s container');
  });

  test('WHARF_DOCKER_BUILD_NETWORK=host lets RUN reach a server on the loopback; declared ARGs carry its port', async () => {
    const server = http.createServer((_req, res) => res.end('from-the-host-loopback'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((server.address() as AddressInfo).port);
      const source = await lab.source({ Dockerfile: `FROM ${NODE}\nARG INDEX_PORT\nRUN ["node", "-e", "fetch('http://127.0.0.1:' + process.env.INDEX_PORT).then((r) => r.text()).then((t) => require('fs').writeFileSync('/got', t))"]\n` });
      const plan = await lab.plan(source);
      const { artifact } = await lab.build(plan, source, { env: { INDEX_PORT: port }, settings: { network: 'host' } });
      assert.equal(await lab.run(digest(artifact), ['cat', '/got']), 'from-the-host-loopback');
    } finally {
      server.close();
    }
  });

  for (const builder of ['BuildKit', 'legacy'] as const) {
    test(`a build over the time limit is stopped (${builder}), leaving no tag and no build container`, async () => {
      const marker = randomBytes(4).toString('hex');
      const source = await lab.source({ Dockerfile: `FROM ${DEBIAN}\nRUN sleep 60 && echo ${marker}\n` });
      const plan = await lab.plan(source);
      const started = Date.now();
      let tag = '';
      await assert.rejects(lab.build(plan, source, { settings: { timeoutMs: 3000, buildkit: builder === 'legacy' ? '0' : '1' } }), (err: unknown) => {
        assert.ok(isWharfError(err));
        assert.match(err.message, /took longer than 3s and was stopped/);
        assert.match(err.hint!, /WHARF_BUILD_TIMEOUT/);
        tag = (err as unknown as { tag: string }).tag;
        return true;
      });
      assert.ok(Date.now() - started < 20_000);
      assert.equal(await tagExists(tag), false);
      const { waitFor } = await import('../helpers/wait.js');
      await waitFor('the build container to go', async () => {
        const all = await docker.listContainers({ all: true });
        return !all.some((c) => c.Command.includes(marker));
      }, 20_000);
    });
  }

  test('cancelling through the signal stops the build', async () => {
    const source = await lab.source({ Dockerfile: `FROM ${DEBIAN}\nRUN sleep 60\n` });
    const plan = await lab.plan(source);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    await assert.rejects(lab.build(plan, source, { signal: controller.signal }), /cancelled/);
  });

  test('.dockerignore is honoured (with a ! exception), and the Dockerfile still builds when ignored', async () => {
    const source = await lab.source({
      Dockerfile: `FROM ${DEBIAN}\nCOPY . /ctx\nCMD ["sh", "-c", "cd /ctx && find . -type f | sort"]\n`,
      '.dockerignore': '# comment\nsecret.txt\nlogs\n*.tmp\n!keep.tmp\nDockerfile\n',
      'secret.txt': 'no',
      'logs/a.log': 'no',
      'x.tmp': 'no',
      'keep.tmp': 'yes',
      'src/app.js': 'yes',
    });
    const { artifact } = await lab.build(await lab.plan(source), source);
    const files = (await lab.run(digest(artifact))).trim().split(/\r?\n/);
    assert.deepEqual(files.filter((f) => f !== './.wharf.Dockerfile'), ['./.dockerignore', './keep.tmp', './src/app.js']);
  });

  test('files stored 0600 (as Wharf stores sources) are readable by the image\'s own USER', async () => {
    const source = await lab.source({ Dockerfile: `FROM ${DEBIAN}\nCOPY . /ctx\nUSER 65534\nCMD ["sh", "-c", "cat /ctx/private.txt && /ctx/run.sh"]\n`, 'private.txt': 'readable\n', 'run.sh': '#!/bin/sh\necho executable\n' });
    await fs.chmod(path.join(source.path, 'private.txt'), 0o600);
    await fs.chmod(path.join(source.path, 'run.sh'), 0o700);
    const { artifact } = await lab.build(await lab.plan(source), source);
    assert.deepEqual((await lab.run(digest(artifact))).trim().split(/\r?\n/), ['readable', 'executable']);
  });

  test('legacy builder: streamed steps and "Using cache" counted', async () => {
    const source = await lab.source({ Dockerfile: `FROM ${DEBIAN}\nRUN echo legacy-step > /l\n` });
    const plan = await lab.plan(source);
    const settings = { buildkit: '0' as const };
    const first = await lab.build(plan, source, { settings });
    assert.ok(first.lines.some((l) => /^Step 2\/\d+ : RUN echo legacy-step/.test(l)), first.lines.join('\n'));
    assert.ok(first.lines.some((l) => /with the legacy builder/.test(l)));
    const second = await lab.build(plan, source, { settings });
    assert.ok((second.artifact.cachedSteps ?? 0) >= 1);
    assert.equal((await lab.run(digest(second.artifact), ['cat', '/l'])).trim(), 'legacy-step');
  });

  test('# syntax= is not fetched: a warning, and a clear error when the engine cannot get the frontend', async () => {
    const source = await lab.source({ Dockerfile: `# syntax=docker/dockerfile:1.4\nFROM ${DEBIAN}\nRUN true\n` });
    const plan = await lab.plan(source);
    try {
      const { lines } = await lab.build(plan, source, { settings: { buildkit: '1' } });
      // An engine that can reach a registry builds it; the warning is there either way.
      assert.ok(lines.some((l) => /does not fetch frontends/.test(l)));
    } catch (err) {
      assert.ok(isWharfError(err), String(err));
      assert.match(err.hint!, /# syntax=docker\/dockerfile:1\.4.*remove the line/);
    }
  });

  test('removeImageArtifact removes by ID and tolerates an image already gone', async () => {
    const source = await lab.source({ Dockerfile: `FROM ${DEBIAN}\nLABEL x=${randomBytes(4).toString('hex')}\n` });
    const { artifact, tag } = await lab.build(await lab.plan(source), source, { home: '/var/lib/wharf-test' });
    const labels = (await docker.getImage(tag).inspect()).Config.Labels ?? {};
    assert.equal(labels['wharf.home'], homeLabel('/var/lib/wharf-test'));
    assert.equal(labels['wharf.build'], 'dockerfile');
    const { removeImageArtifact } = await import('../../src/server/builders/image/index.js');
    await removeImageArtifact(artifact.ref, { docker });
    assert.equal(await tagExists(tag), false);
    await removeImageArtifact(artifact.ref, { docker });
  });
});

function digest(artifact: { ref: { kind: string } }): string {
  const ref = artifact.ref as { kind: 'image'; digest: string };
  assert.equal(ref.kind, 'image');
  return ref.digest;
}
