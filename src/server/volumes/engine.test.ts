import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Docker from 'dockerode';
import { dockerVolumes, folderBytes, folderVolumes } from './engine.js';
import { volumeFolder } from './folder.js';
import { dockerVolumeName } from './names.js';

const NAME = `si_${process.pid.toString(16).padStart(16, '0')}-data`;

function tmpHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-volumes-'));
}

function writeFiles(dir: string): void {
  fs.mkdirSync(path.join(dir, 'nested'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
  fs.writeFileSync(path.join(dir, 'nested', 'b.bin'), Buffer.alloc(2048, 7));
  fs.chmodSync(path.join(dir, 'a.txt'), 0o640);
}

test('folder volumes: size is the bytes of the files; backup and restore round-trip files and modes', async () => {
  const home = tmpHome();
  try {
    const engine = folderVolumes(home);
    assert.equal((await engine.sizes([NAME])).size, 0, 'no folder yet: no size');
    const dir = volumeFolder(home, NAME);
    writeFiles(dir);
    assert.equal((await engine.sizes([NAME])).get(NAME), 5 + 2048);
    const file = path.join(home, 'backups', 'one.tar.gz');
    await engine.backup(NAME, file);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'changed');
    fs.writeFileSync(path.join(dir, 'extra.txt'), 'not in the backup');
    await engine.restore(NAME, file);
    assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'hello');
    assert.equal(fs.statSync(path.join(dir, 'a.txt')).mode & 0o777, 0o640);
    assert.equal(fs.existsSync(path.join(dir, 'extra.txt')), false, 'a restore replaces the files, it does not merge');
    assert.equal(await folderBytes(dir), 5 + 2048);
    await engine.remove(NAME);
    assert.equal(fs.existsSync(dir), false);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

async function engineUp(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

test('docker volumes: restore a folder backup into a named volume, measure it, back it up again', async (t) => {
  const docker = new Docker();
  if (!(await engineUp(docker))) {
    if (process.env.CI === 'true') assert.fail('no Docker engine on /var/run/docker.sock (CI needs one)');
    return t.skip('no Docker engine');
  }
  const helperImage = 'wharf-local/debian:bookworm';
  try {
    await docker.getImage(helperImage).inspect();
  } catch {
    if (process.env.CI === 'true') assert.fail(`${helperImage} is missing (built by .ci/run)`);
    return t.skip(`${helperImage} is missing`);
  }
  const home = tmpHome();
  const labels = { 'wharf.test': '1' };
  await docker.createVolume({ Name: dockerVolumeName(NAME), Labels: labels });
  try {
    writeFiles(volumeFolder(home, NAME));
    const folder = folderVolumes(home);
    const first = path.join(home, 'backups', 'from-folder.tar.gz');
    await folder.backup(NAME, first);
    const engine = dockerVolumes(docker, { helperImage, labels });
    await engine.restore(NAME, first);
    const info = (await docker.getVolume(dockerVolumeName(NAME)).inspect()) as { Labels: Record<string, string> };
    assert.equal(info.Labels['wharf.test'], '1', 'the recreated volume keeps its labels');
    const sizes = await engine.sizes([NAME]);
    assert.ok((sizes.get(NAME) ?? 0) >= 5 + 2048, `size ${sizes.get(NAME)}`);
    const second = path.join(home, 'backups', 'from-docker.tar.gz');
    await engine.backup(NAME, second);
    await folder.remove(NAME);
    await folder.restore(NAME, second);
    assert.equal(fs.readFileSync(path.join(volumeFolder(home, NAME), 'a.txt'), 'utf8'), 'hello');
    assert.equal(fs.readFileSync(path.join(volumeFolder(home, NAME), 'nested', 'b.bin')).length, 2048);
    const helpers = await docker.listContainers({ all: true, filters: { label: ['wharf.role=volume-helper', 'wharf.test=1'] } });
    assert.equal(helpers.length, 0, 'helper containers are removed');
  } finally {
    await dockerVolumes(docker, { helperImage }).remove(NAME);
    fs.rmSync(home, { recursive: true, force: true });
  }
});
