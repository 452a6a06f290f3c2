import { test } from 'node:test';
import assert from 'node:assert/strict';
import { declaredArgNames, parseDockerfile } from './parse-dockerfile.js';

test('ARGs before and after FROM, with defaults, quotes and continuations', () => {
  const info = parseDockerfile(
    [
      '# syntax=docker/dockerfile:1.6',
      'ARG BASE=node:20 \\',
      '    EXTRA',
      'from ${BASE} as Build',
      '# a comment',
      'arg NPM_TOKEN',
      'ARG LABEL="a b" OTHER=\'c\'',
      'RUN echo \\',
      '  # comment inside a continuation',
      '  ARG NOT_AN_ARG=1',
      'FROM --platform=linux/amd64 busybox AS runtime',
      'ARG BASE',
      'FROM runtime',
    ].join('\n'),
  );
  assert.equal(info.syntax, 'docker/dockerfile:1.6');
  assert.deepEqual(info.args, [
    { name: 'BASE', default: 'node:20', stage: null },
    { name: 'EXTRA', stage: null },
    { name: 'NPM_TOKEN', stage: 0 },
    { name: 'LABEL', default: 'a b', stage: 0 },
    { name: 'OTHER', default: 'c', stage: 0 },
    { name: 'BASE', stage: 1 },
  ]);
  assert.deepEqual(declaredArgNames(info), ['BASE', 'EXTRA', 'NPM_TOKEN', 'LABEL', 'OTHER']);
  assert.deepEqual(
    info.stages.map((s) => [s.name, s.from, s.line]),
    [
      ['build', '${BASE}', 4],
      ['runtime', 'busybox', 11],
      [null, 'runtime', 13],
    ],
  );
});

test('no directive when a comment is not at the top; escape directive', () => {
  assert.equal(parseDockerfile('FROM x\n# syntax=foo\n').syntax, null);
  const info = parseDockerfile('# escape=`\nFROM x AS a\nARG ONE=1 `\n  TWO\n');
  assert.deepEqual(declaredArgNames(info), ['ONE', 'TWO']);
  assert.equal(parseDockerfile('FROM x\r\nARG WIN\r\n').args[0]!.name, 'WIN');
});
