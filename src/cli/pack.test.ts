import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { list, type ReadEntry } from 'tar';
import { packFolder } from './pack.js';

async function packed(files: Record<string, string>, symlinks: Record<string, string> = {}): Promise<{ names: string[]; links: Record<string, string>; files: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wharf-pack-test-'));
  try {
    for (const [rel, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await fs.writeFile(path.join(dir, rel), content);
    }
    for (const [rel, target] of Object.entries(symlinks)) await fs.symlink(target, path.join(dir, rel));
    const pack = await packFolder(dir);
    try {
      assert.ok(pack.bytes > 0);
      const names: string[] = [];
      const links: Record<string, string> = {};
      await list({
        file: pack.file,
        onReadEntry: (e: ReadEntry) => {
          assert.ok(!path.isAbsolute(e.path), e.path);
          if (e.type !== 'Directory') names.push(e.path);
          if (e.type === 'SymbolicLink') links[e.path] = e.linkpath!;
        },
      });
      return { names: names.sort(), links, files: pack.files };
    } finally {
      await pack.cleanup();
      await assert.rejects(fs.access(pack.file));
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

test('honours .gitignore, .wharfignore and nested ignore files; skips .git', async () => {
  const { names, files } = await packed({
    '.git/HEAD': 'ref',
    '.git/config': '',
    '.gitignore': 'node_modules/\n*.log\n/dist\n',
    '.wharfignore': 'secrets.env\n',
    'secrets.env': 'X=1',
    'app.js': '',
    'debug.log': '',
    'node_modules/a/index.js': '',
    'dist/out.js': '',
    'src/dist/keep.js': '',
    'src/.gitignore': '!important.log\ngenerated/\n',
    'src/important.log': '',
    'src/other.log': '',
    'src/generated/x.js': '',
    'src/lib/.wharfignore': 'fixtures\n',
    'src/lib/a.js': '',
    'src/lib/fixtures/big.bin': '',
  });
  assert.deepEqual(names, [
    '.gitignore',
    '.wharfignore',
    'app.js',
    'src/.gitignore',
    'src/dist/keep.js',
    'src/important.log',
    'src/lib/.wharfignore',
    'src/lib/a.js',
  ]);
  assert.equal(files, names.length);
});

test('keeps symlinks as symlinks', async () => {
  const { names, links } = await packed({ 'real.txt': 'x' }, { 'alias.txt': 'real.txt' });
  assert.deepEqual(names, ['alias.txt', 'real.txt']);
  assert.deepEqual(links, { 'alias.txt': 'real.txt' });
});
