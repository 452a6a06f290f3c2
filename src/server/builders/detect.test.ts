import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuildPlan, DetectContext } from '../../core/build.js';
import { isWharfError } from '../../core/errors.js';
import { DEFAULT_SETTINGS, type ServiceSettings } from '../../core/settings.js';
import { defaultBuilders, planBuild } from './detect.js';
import { staticServerArgv } from './static/static-builder.js';

const PKG = (extra: object = {}) => JSON.stringify({ name: 'app', ...extra });
const DEPS = { dependencies: { express: '^4' } };

async function plan(
  files: Record<string, string>,
  settings: Partial<ServiceSettings> = {},
  onPath: string[] = ['yarn', 'pnpm', 'corepack'],
  context: DetectContext = { runtime: 'process', variables: {} },
): Promise<BuildPlan> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-detect-'));
  try {
    for (const [rel, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.writeFile(path.join(dir, rel), content);
    }
    const builders = defaultBuilders({ findExecutable: async (name) => onPath.includes(name) });
    return await planBuild({ path: dir, digest: 'x' }, { ...DEFAULT_SETTINGS, ...settings }, context, builders);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const argvs = (p: BuildPlan) => p.steps.map((s) => s.argv);

const cases: Array<{
  name: string;
  files: Record<string, string>;
  settings?: Partial<ServiceSettings>;
  onPath?: string[];
  builder: BuildPlan['builder'];
  steps: string[][];
  start: string[];
  kind?: 'web' | 'worker';
}> = [
  { name: 'npm with package-lock.json', files: { 'package.json': PKG({ ...DEPS, scripts: { start: 'node s.js' } }), 'package-lock.json': '{}' }, builder: 'NODE', steps: [['npm', 'ci']], start: ['npm', 'start'] },
  { name: 'npm with npm-shrinkwrap.json', files: { 'package.json': PKG({ ...DEPS, scripts: { start: 'x' } }), 'npm-shrinkwrap.json': '{}' }, builder: 'NODE', steps: [['npm', 'ci']], start: ['npm', 'start'] },
  { name: 'yarn.lock', files: { 'package.json': PKG({ ...DEPS, scripts: { start: 'x', build: 'tsc' } }), 'yarn.lock': '' }, builder: 'NODE', steps: [['yarn', 'install', '--frozen-lockfile'], ['yarn', 'run', 'build']], start: ['yarn', 'start'] },
  { name: 'pnpm-lock.yaml', files: { 'package.json': PKG({ ...DEPS, scripts: { start: 'x' } }), 'pnpm-lock.yaml': '' }, builder: 'NODE', steps: [['pnpm', 'install', '--frozen-lockfile']], start: ['pnpm', 'start'] },
  { name: 'pnpm through corepack when pnpm is not on PATH', files: { 'package.json': PKG({ ...DEPS, scripts: { start: 'x' } }), 'pnpm-lock.yaml': '' }, onPath: ['corepack'], builder: 'NODE', steps: [['corepack', 'pnpm', 'install', '--frozen-lockfile']], start: ['corepack', 'pnpm', 'start'] },
  { name: 'no lockfile', files: { 'package.json': PKG({ ...DEPS, scripts: { start: 'x' } }) }, builder: 'NODE', steps: [['npm', 'install']], start: ['npm', 'start'] },
  { name: 'no dependencies: no install', files: { 'package.json': PKG({ scripts: { start: 'node s.js' } }), 'package-lock.json': '{}' }, builder: 'NODE', steps: [], start: ['npm', 'start'] },
  { name: 'main when there is no start script', files: { 'package.json': PKG({ main: 'lib/app.js' }), 'lib/app.js': '' }, builder: 'NODE', steps: [], start: ['node', 'lib/app.js'] },
  { name: 'main produced by the build', files: { 'package.json': PKG({ ...DEPS, main: 'dist/index.js', scripts: { build: 'tsc' } }), 'package-lock.json': '{}' }, builder: 'NODE', steps: [['npm', 'ci'], ['npm', 'run', 'build']], start: ['node', 'dist/index.js'] },
  { name: 'server.js fallback', files: { 'package.json': PKG(), 'server.js': '' }, builder: 'NODE', steps: [], start: ['node', 'server.js'] },
  { name: 'app.js fallback', files: { 'package.json': PKG(), 'app.js': '' }, builder: 'NODE', steps: [], start: ['node', 'app.js'] },
  { name: 'static: root index.html', files: { 'index.html': '<h1>hi</h1>' }, builder: 'STATIC', steps: [], start: staticServerArgv(['.']) },
  { name: 'static: public/index.html', files: { 'public/index.html': '' }, builder: 'STATIC', steps: [], start: staticServerArgv(['public']) },
  { name: 'static: dist before public', files: { 'dist/index.html': '', 'public/index.html': '' }, builder: 'STATIC', steps: [], start: staticServerArgv(['dist']) },
  { name: 'static: settings.staticDir', files: { 'site/index.html': '', 'index.html': '' }, settings: { staticDir: 'site' }, builder: 'STATIC', steps: [], start: staticServerArgv(['site']) },
  {
    name: 'static: node build without a start script',
    files: { 'package.json': PKG({ ...DEPS, scripts: { build: 'vite build' } }), 'package-lock.json': '{}', 'index.html': '' },
    builder: 'STATIC',
    steps: [['npm', 'ci'], ['npm', 'run', 'build']],
    start: staticServerArgv(['dist', 'build', 'public', 'out', '.']),
  },
  { name: 'Procfile web', files: { Procfile: 'web: node app.js\nworker: node w.js\n' }, builder: 'PROCFILE', steps: [], start: ['sh', '-c', 'node app.js'], kind: 'web' },
  { name: 'Procfile worker only', files: { Procfile: 'release: node migrate.js\nworker: node w.js\n' }, builder: 'PROCFILE', steps: [], start: ['sh', '-c', 'node w.js'], kind: 'worker' },
  {
    name: 'Procfile over package.json, with Node steps',
    files: { Procfile: 'web: npm run serve', 'package.json': PKG({ ...DEPS, scripts: { start: 'x', build: 'b' } }), 'yarn.lock': '' },
    builder: 'PROCFILE',
    steps: [['yarn', 'install', '--frozen-lockfile'], ['yarn', 'run', 'build']],
    start: ['sh', '-c', 'npm run serve'],
  },
  { name: 'commands: startCommand and nothing else', files: { 'main.py': '' }, settings: { startCommand: 'python3 main.py', buildCommand: 'make' }, builder: 'COMMANDS', steps: [['sh', '-c', 'make']], start: ['sh', '-c', 'python3 main.py'] },
  {
    name: 'buildCommand replaces the build, install stays',
    files: { 'package.json': PKG({ ...DEPS, scripts: { start: 'x', build: 'tsc' } }), 'package-lock.json': '{}' },
    settings: { buildCommand: 'npm run build:prod' },
    builder: 'NODE',
    steps: [['npm', 'ci'], ['sh', '-c', 'npm run build:prod']],
    start: ['npm', 'start'],
  },
  {
    name: 'startCommand replaces the start',
    files: { 'package.json': PKG({ scripts: { start: 'x' } }) },
    settings: { startCommand: 'node --max-old-space-size=512 s.js' },
    builder: 'NODE',
    steps: [],
    start: ['sh', '-c', 'node --max-old-space-size=512 s.js'],
  },
  { name: 'node project without a start, given a startCommand', files: { 'package.json': PKG(DEPS) }, settings: { startCommand: 'node x.js' }, builder: 'NODE', steps: [['npm', 'install']], start: ['sh', '-c', 'node x.js'] },
  { name: 'explicit NODE over a Procfile', files: { Procfile: 'web: a', 'package.json': PKG({ scripts: { start: 'x' } }) }, settings: { builder: 'NODE' }, builder: 'NODE', steps: [], start: ['npm', 'start'] },
  { name: 'explicit STATIC over a node start', files: { 'package.json': PKG({ scripts: { start: 'x' } }), 'public/index.html': '' }, settings: { builder: 'STATIC' }, builder: 'STATIC', steps: [], start: staticServerArgv(['public']) },
];

for (const c of cases) {
  test(`plan: ${c.name}`, async () => {
    const p = await plan(c.files, c.settings, c.onPath);
    assert.equal(p.builder, c.builder);
    assert.deepEqual(argvs(p), c.steps);
    assert.deepEqual(p.start.argv, c.start);
    assert.equal(p.start.kind, c.kind ?? 'web');
    assert.ok(p.summary.length > 0);
  });
}

test('static start argv points at the static server entry', () => {
  const argv = staticServerArgv(['dist']);
  assert.match(argv[argv.length - 2]!, /static-server[/\\]main\.(ts|js)$/);
  assert.equal(argv[argv.length - 1], 'dist');
});

const failures: Array<{ name: string; files: Record<string, string>; settings?: Partial<ServiceSettings>; code: string; match: RegExp }> = [
  { name: 'nothing recognised', files: { 'README.md': '' }, code: 'NO_BUILDER', match: /startCommand/ },
  { name: 'package.json that names no start', files: { 'package.json': PKG(DEPS) }, code: 'NO_BUILDER', match: /package\.json/ },
  { name: 'explicit PROCFILE without a Procfile', files: { 'index.html': '' }, settings: { builder: 'PROCFILE' }, code: 'NO_BUILDER', match: /Procfile/ },
  { name: 'explicit COMMANDS without a start command', files: { 'index.html': '' }, settings: { builder: 'COMMANDS' }, code: 'NO_BUILDER', match: /start command/ },
  { name: 'broken package.json', files: { 'package.json': '{ nope' }, code: 'INVALID_CONFIG', match: /package\.json/ },
  { name: 'Procfile with only release', files: { Procfile: 'release: x' }, code: 'INVALID_CONFIG', match: /Procfile/ },
];

for (const f of failures) {
  test(`plan fails: ${f.name}`, async () => {
    await assert.rejects(plan(f.files, f.settings), (err: unknown) => {
      assert.ok(isWharfError(err), String(err));
      assert.equal(err.code, f.code);
      assert.match(`${err.message} ${err.hint}`, f.match);
      assert.ok(err.hint);
      return true;
    });
  });
}

// Dockerfiles (issue 13): detected first, as on Railway; buildable on the docker runtime only.

const DOCKER: DetectContext = { runtime: 'docker', variables: {} };
const MULTI = 'ARG NODE_VERSION=20\nFROM node:${NODE_VERSION} AS build\nARG NPM_TOKEN\nRUN npm ci\nFROM node:20-slim AS Runtime\nARG PORT=3000 LOG_LEVEL="info debug"\nCMD ["node", "s.js"]\n';

test('Dockerfile at the root wins over package.json on docker', async () => {
  const p = await plan({ Dockerfile: MULTI, 'package.json': PKG({ scripts: { start: 'node s.js' } }) }, {}, undefined, DOCKER);
  assert.equal(p.builder, 'DOCKERFILE');
  assert.deepEqual(p.dockerfile, { dockerfile: 'Dockerfile', context: '.', args: ['NODE_VERSION', 'NPM_TOKEN', 'PORT', 'LOG_LEVEL'] });
  assert.deepEqual(p.start.argv, []);
  assert.deepEqual(p.steps, []);
});

test('process runtime: a found Dockerfile gives way to another builder, with a warning in the summary', async () => {
  const p = await plan({ Dockerfile: MULTI, 'package.json': PKG({ scripts: { start: 'node s.js' } }) });
  assert.equal(p.builder, 'NODE');
  assert.match(p.summary, /warning: Dockerfile is not used.*runtime = "docker"/);
});

test('process runtime: a Dockerfile-only source needs the docker runtime', async () => {
  await assert.rejects(plan({ Dockerfile: MULTI }), (err: unknown) => {
    assert.ok(isWharfError(err));
    assert.match(err.message, /this service builds from a Dockerfile.*which needs the docker runtime/);
    assert.match(err.hint!, /runtime = "docker"/);
    assert.match(err.hint!, /WHARF_RUNTIME=docker/);
    return true;
  });
});

test('process runtime: builder = DOCKERFILE is an error even when package.json would do', async () => {
  await assert.rejects(plan({ Dockerfile: MULTI, 'package.json': PKG({ scripts: { start: 'x' } }) }, { builder: 'DOCKERFILE' }), /needs the docker runtime/);
});

test('dockerfilePath setting, RAILWAY_DOCKERFILE_PATH variable, dockerContext and target', async () => {
  const files = { 'Dockerfile.worker': 'FROM busybox AS base\nFROM base AS worker\n', 'api/Dockerfile': 'FROM busybox\n', 'api/x': '' };
  const a = await plan(files, { dockerfilePath: './Dockerfile.worker', dockerTarget: 'Worker' }, undefined, DOCKER);
  assert.deepEqual(a.dockerfile, { dockerfile: 'Dockerfile.worker', context: '.', target: 'worker', args: [] });
  const b = await plan(files, {}, undefined, { runtime: 'docker', variables: { RAILWAY_DOCKERFILE_PATH: 'Dockerfile.worker' } });
  assert.equal(b.dockerfile?.dockerfile, 'Dockerfile.worker');
  const c = await plan(files, { dockerfilePath: 'api/Dockerfile', dockerContext: 'api/' }, undefined, DOCKER);
  assert.deepEqual(c.dockerfile, { dockerfile: 'api/Dockerfile', context: 'api', args: [] });
  assert.match(c.summary, /api\/Dockerfile, context api\//);
});

test('a start command replaces the image CMD; a build command is ignored', async () => {
  const p = await plan({ Dockerfile: 'FROM busybox\n' }, { startCommand: 'node w.js', buildCommand: 'make' }, undefined, DOCKER);
  assert.deepEqual(p.start.argv, ['sh', '-c', 'node w.js']);
  assert.deepEqual(p.steps, []);
  assert.match(p.summary, /build command ignored/);
});

const dockerFailures: Array<{ name: string; files: Record<string, string>; settings?: Partial<ServiceSettings>; variables?: Record<string, string>; match: RegExp; hint?: RegExp }> = [
  { name: 'dockerfilePath that does not exist', files: { 'Dockerfile.web': 'FROM x\n' }, settings: { dockerfilePath: 'Dockerfile.wrker' }, match: /dockerfilePath 'Dockerfile.wrker' \(the dockerfilePath setting\) is not a file/, hint: /Dockerfile\.web/ },
  { name: 'RAILWAY_DOCKERFILE_PATH that does not exist', files: {}, variables: { RAILWAY_DOCKERFILE_PATH: 'docker/Dockerfile' }, match: /RAILWAY_DOCKERFILE_PATH variable/, hint: /no Dockerfile/ },
  { name: 'dockerfilePath escaping the source', files: { Dockerfile: 'FROM x\n' }, settings: { dockerfilePath: '../Dockerfile' }, match: /must stay inside/ },
  { name: 'absolute dockerfilePath', files: { Dockerfile: 'FROM x\n' }, settings: { dockerfilePath: '/etc/passwd' }, match: /must stay inside/ },
  { name: 'dockerContext escaping the source', files: { Dockerfile: 'FROM x\n' }, settings: { dockerContext: 'a/../../b' }, match: /dockerContext .* must stay inside/ },
  { name: 'unknown target', files: { Dockerfile: MULTI }, settings: { dockerTarget: 'prod' }, match: /target stage 'prod' is not in Dockerfile: its stages are build, runtime/, hint: /dockerTarget=runtime/ },
  { name: 'no FROM', files: { Dockerfile: '# nothing\n' }, match: /no FROM/ },
  { name: 'explicit DOCKERFILE without one', files: { 'index.html': '' }, settings: { builder: 'DOCKERFILE' }, match: /DOCKERFILE builder was asked for/ },
];

for (const f of dockerFailures) {
  test(`plan fails (docker): ${f.name}`, async () => {
    await assert.rejects(plan(f.files, f.settings, undefined, { runtime: 'docker', variables: f.variables ?? {} }), (err: unknown) => {
      assert.ok(isWharfError(err), String(err));
      assert.match(err.message, f.match);
      assert.ok(err.hint);
      if (f.hint) assert.match(err.hint, f.hint);
      return true;
    });
  });
}
