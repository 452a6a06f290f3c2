import { after, before } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { ArtifactRef } from '../../../core/artifact.js';
import { runtimeContract } from '../runtime.contract.js';
import { buildFixtureImage, dockerOrNull, dockerSkip, fixtureCommand, sweep, TEST_LABELS } from '../../../../test/fixtures/docker/fixture-image.js';
import { DockerRuntime } from './docker-runtime.js';

// The runtime contract, run against the docker driver: the fixtures run in containers of an
// image FROM wharf-local/node:20 (test/fixtures/docker/Dockerfile.fixtures). Driver-specific
// cases are in docker-driver.test.ts.

const SUITE = { 'wharf.test.suite': `dockrt-contract-${process.pid}` };
const skip = await dockerSkip();
let docker: Dockerode | null = null;
let image: Promise<Extract<ArtifactRef, { kind: 'image' }>> | null = null;
const tag = `wharf-test-fixtures:contract-${process.pid}`;

before(async () => {
  docker = await dockerOrNull();
});

after(async () => {
  if (!docker) return;
  await sweep(docker, SUITE);
  if (image) await docker.getImage(tag).remove({ force: true }).catch(() => {});
});

if (!skip) {
  runtimeContract(
    'docker',
    async () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-docker-contract-'));
      const runtime = new DockerRuntime({ docker: docker ?? undefined, home, stateDir: path.join(home, 'docker'), labels: { ...TEST_LABELS, ...SUITE } });
      return {
        runtime,
        async cleanup() {
          await runtime.close();
          fs.rmSync(home, { recursive: true, force: true });
        },
      };
    },
    {
      fixtureArtifact: () => (image ??= buildFixtureImage(docker!, tag)),
      fixtureCommand,
    },
  );
}
