import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isWharfError } from '../../core/errors.js';
import { serviceSettingsPatchSchema } from '../../core/settings.js';
import { didYouMean } from './did-you-mean.js';
import { parseRailwayConfig, readRailwayConfig } from './railway-config.js';

const JSON_CONFIG = `{
  "$schema": "https://railway.com/railway.schema.json",
  "build": { "builder": "RAILPACK", "buildCommand": "npm run build", "watchPatterns": ["src/**"] },
  "deploy": {
    "startCommand": "node index.js",
    "healthcheckPath": "/health",
    "healthcheckTimeout": 300,
    "restartPolicyType": "on_failure",
    "restartPolicyMaxRetries": 5,
    "numReplicas": 2,
    "overlapSeconds": "60",
    "drainingSeconds": "10",
    "cronSchedule": "*/5 * * * *"
  },
  "environments": {
    "staging": { "deploy": { "startCommand": "npm run staging", "numReplicas": 1 } },
    "pr": { "deploy": { "startCommand": "npm run pr" } }
  }
}`;

test('railway.json: base settings, with strings as numbers and any-case enums', () => {
  const { settings, warnings } = parseRailwayConfig('railway.json', JSON_CONFIG, 'production');
  assert.deepEqual(settings, {
    builder: 'AUTO',
    buildCommand: 'npm run build',
    startCommand: 'node index.js',
    healthcheckPath: '/health',
    healthcheckTimeout: 300,
    restartPolicyType: 'ON_FAILURE',
    restartPolicyMaxRetries: 5,
    numReplicas: 2,
    overlapSeconds: 60,
    drainingSeconds: 10,
    cronSchedule: '*/5 * * * *',
  });
  assert.ok(serviceSettingsPatchSchema.safeParse(settings).success);
  assert.ok(warnings.includes('railway.json build.watchPatterns is not supported yet and was ignored'), warnings.join('\n'));
  assert.ok(!warnings.some((w) => w.includes('cronSchedule')), warnings.join('\n'));
});

test('railway.json: the environment overrides the base', () => {
  const { settings } = parseRailwayConfig('railway.json', JSON_CONFIG, 'staging');
  assert.equal(settings.startCommand, 'npm run staging');
  assert.equal(settings.numReplicas, 1);
  assert.equal(settings.healthcheckPath, '/health');
});

test('railway.toml: sections, environment overrides, the DOCKERFILE builder and its path', () => {
  const toml = `[build]
builder = "dockerfile"
dockerfilePath = "Dockerfile.prod"

[deploy]
startCommand = "node index.js"
restartPolicyType = "never"
sleepApplication = true

[deploy.multiRegionConfig."us-west2"]
numReplicas = 2

[environments.staging.deploy]
startCommand = "npm run staging"
preDeployCommand = ["npm run migrate"]
`;
  const { settings, warnings } = parseRailwayConfig('railway.toml', toml, 'staging');
  assert.deepEqual(settings, { builder: 'DOCKERFILE', dockerfilePath: 'Dockerfile.prod', startCommand: 'npm run staging', restartPolicyType: 'NEVER', preDeployCommand: 'npm run migrate' });
  for (const field of ['deploy.sleepApplication', 'deploy.multiRegionConfig']) {
    assert.ok(warnings.some((w) => w.includes(`railway.toml ${field} is not supported yet`)), `${field}: ${warnings.join('\n')}`);
  }
  assert.ok(!warnings.some((w) => /DOCKERFILE|dockerfilePath/.test(w)), warnings.join('\n'));
});

function configError(file: string, text: string): { message: string; hint: string | undefined } {
  try {
    parseRailwayConfig(file, text, 'production');
  } catch (err) {
    assert.ok(isWharfError(err), String(err));
    assert.equal(err.code, 'INVALID_CONFIG');
    return { message: err.message, hint: err.hint };
  }
  assert.fail('expected an INVALID_CONFIG error');
}

test('railway.json: an unknown field names line:column and suggests the near miss', () => {
  const text = `{\n  "deploy": {\n    "startCommand": "x",\n    "healthCheckPath": "/h"\n  }\n}`;
  assert.equal(configError('railway.json', text).message, "railway.json:4:5 deploy.healthCheckPath: unknown field — did you mean 'healthcheckPath'?");
});

test('railway.json: unknown root field and environment section', () => {
  assert.match(configError('railway.json', `{\n  "deploi": {}\n}`).message, /^railway\.json:2:3 deploi: unknown field — did you mean 'deploy'\?/);
  assert.match(
    configError('railway.json', `{ "environments": { "staging": { "deplyo": {} } } }`).message,
    /^railway\.json:1:34 environments\.staging\.deplyo: unknown field — did you mean 'deploy'\?/,
  );
});

test('railway.json: a wrong type names the field and what is expected', () => {
  const { message } = configError('railway.json', `{\n  "deploy": {\n    "healthcheckTimeout": true\n  }\n}`);
  assert.equal(message, 'railway.json:3:5 deploy.healthcheckTimeout: expected a whole number of seconds from 1 to 3600, got true');
  assert.match(configError('railway.json', `{ "deploy": { "restartPolicyType": "sometimes" } }`).message, /deploy\.restartPolicyType: expected one of ON_FAILURE, ALWAYS, NEVER, got "sometimes"/);
  assert.match(configError('railway.json', `{ "deploy": { "healthcheckPath": "health" } }`).message, /expected a path starting with '\/'/);
  assert.match(configError('railway.json', `{ "deploy": "fast" }`).message, /deploy: expected a table of deploy settings, got "fast"/);
});

test('railway.json: a syntax error names line:column', () => {
  assert.match(configError('railway.json', `{\n  "deploy": {\n    "startCommand": "x"\n  \n`).message, /^railway\.json:5:1 /);
});

test('railway.toml: unknown field and wrong type with line:column', () => {
  const text = `[build]\nbuilder = "RAILPACK"\n\n[deploy]\nstartCommand = "x"\nnumReplica = 2\n`;
  assert.equal(configError('railway.toml', text).message, "railway.toml:6:1 deploy.numReplica: unknown field — did you mean 'numReplicas'?");
  const typed = `[deploy]\n  healthcheckTimeout = "soon"\n`;
  assert.equal(configError('railway.toml', typed).message, 'railway.toml:2:3 deploy.healthcheckTimeout: expected a whole number of seconds from 1 to 3600, got "soon"');
  const env = `[environments.staging.deploy]\nnumReplicas = 0\n`;
  assert.match(configError('railway.toml', env).message, /^railway\.toml:2:1 environments\.staging\.deploy\.numReplicas: expected a whole number from 1 to 50, got 0/);
});

test('railway.toml: a syntax error carries line and column', () => {
  assert.match(configError('railway.toml', '[deploy]\nstartCommand = = "x"\n').message, /^railway\.toml:2:\d+ /);
});

test('readRailwayConfig: none, json, and toml preferred over json', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-railway-'));
  try {
    assert.deepEqual(await readRailwayConfig(dir, 'production'), { file: null, settings: {}, warnings: [] });
    await fs.writeFile(path.join(dir, 'railway.json'), '{ "deploy": { "startCommand": "from json" } }');
    assert.equal((await readRailwayConfig(dir, 'production')).settings.startCommand, 'from json');
    await fs.writeFile(path.join(dir, 'railway.toml'), '[deploy]\nstartCommand = "from toml"\n');
    const result = await readRailwayConfig(dir, 'production');
    assert.equal(result.file, 'railway.toml');
    assert.equal(result.settings.startCommand, 'from toml');
    assert.ok(result.warnings.some((w) => w.includes('railway.json was ignored')));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('didYouMean', () => {
  assert.equal(didYouMean('healthCheckPath', ['healthcheckPath', 'startCommand']), 'healthcheckPath');
  assert.equal(didYouMean('startComand', ['healthcheckPath', 'startCommand']), 'startCommand');
  assert.equal(didYouMean('colour', ['healthcheckPath', 'startCommand']), null);
});
