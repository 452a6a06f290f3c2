import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyExample, httpRequest, startWharf, type Wharf } from '../helpers/wharf.js';

// Two projects may each have a `web` service: the default host names the project too, so each
// URL the CLI prints serves its own app; a configured pattern that would make two services
// share a host is refused at deploy time, naming both.

let wharf: Wharf;
before(async () => {
  wharf = await startWharf();
});
after(async () => {
  await wharf.cleanup();
});

async function deploy(example: string, project: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = await copyExample(example, wharf.home);
  const init = await wharf.cli(['init', '--name', project], { cwd: dir });
  assert.equal(init.code, 0, init.stderr);
  return wharf.cli(['--service', 'web', 'up'], { cwd: dir });
}

/** The URL `wharf up` printed, fetched through the router (the host is in the URL). */
async function fetchPrinted(stdout: string): Promise<string> {
  const match = /is live: (http:\/\/([^:/\s]+):(\d+))/.exec(stdout);
  assert.ok(match, `no URL in: ${stdout}`);
  const res = await httpRequest(`http://127.0.0.1:${match[3]}/`, { host: match[2] });
  assert.equal(res.status, 200, `${match[1]} answered ${res.status}: ${res.body}`);
  return res.body;
}

test('two projects each with a web service get their own host, and each URL serves its own app', async () => {
  const shop = await deploy('node-web', 'shop');
  assert.equal(shop.code, 0, shop.stdout + shop.stderr);
  const blog = await deploy('procfile-app', 'blog');
  assert.equal(blog.code, 0, blog.stdout + blog.stderr);

  assert.match(shop.stdout, /is live: http:\/\/web-production-shop\.localhost:\d+/);
  assert.match(blog.stdout, /is live: http:\/\/web-production-blog\.localhost:\d+/);
  assert.equal(JSON.parse(await fetchPrinted(shop.stdout)).app, 'node-web');
  assert.match(await fetchPrinted(blog.stdout), /procfile-app/);
});

test('a host pattern under which two services would share a host is refused at deploy time, naming both', async () => {
  await wharf.stopServer();
  wharf.env.WHARF_HOST_PATTERN = '{service}-{environment}.{base}';
  await wharf.startServer();
  const other = await deploy('node-web', 'other');
  assert.notEqual(other.code, 0, 'the deploy is refused');
  const said = other.stdout + other.stderr;
  assert.match(said, /web-production\.localhost/, said);
  assert.match(said, /web in project (shop|blog)/, said);
  assert.match(said, /web in project other/, said);
  // The app that had the host keeps it.
  const res = await wharf.get('web-production.localhost', '/');
  assert.equal(res.status, 200);
});
