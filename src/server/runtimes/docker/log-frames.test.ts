import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, isoOf, nsOf, sinceParam } from './log-frames.js';

// The engine's multiplexed log frames, cut anywhere, and its nanosecond timestamps.

function frame(kind: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

test('frames split across chunks come out whole, by stream, with their timestamps', () => {
  const all = Buffer.concat([frame(1, '2026-12-02T18:00:00.1Z hello\n'), frame(2, '2026-12-02T18:00:00.123456789Z oops\n'), frame(1, '2026-12-02T18:00:01Z a\nb\n')]);
  const parser = new FrameParser();
  const lines = [];
  for (let i = 0; i < all.length; i += 5) lines.push(...parser.push(all.subarray(i, i + 5)));
  assert.deepEqual(lines, [
    { stream: 'out', ts: '2026-12-02T18:00:00.1Z', message: 'hello' },
    { stream: 'err', ts: '2026-12-02T18:00:00.123456789Z', message: 'oops' },
    { stream: 'out', ts: '2026-12-02T18:00:01Z', message: 'a' },
    { stream: 'out', ts: '2026-12-02T18:00:01Z', message: 'b' },
  ]);
});

test('timestamps: trimmed nanoseconds compare right, since keeps them, ISO has ms', () => {
  assert.ok(nsOf('2026-12-02T18:00:00.1Z')! > nsOf('2026-12-02T18:00:00.099999999Z')!);
  assert.equal(sinceParam('2026-12-02T18:00:00.000000001Z').split('.')[1], '000000001');
  assert.equal(isoOf('2026-12-02T18:00:00.123456789Z'), '2026-12-02T18:00:00.123Z');
  assert.equal(nsOf('not a time'), null);
});
