import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCpuClock, parseRssBytes, parseStat } from './proc-stats.js';

test('parseStat: a command name with spaces and parentheses; utime+stime, pgrp, starttime', () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal starttime …
  const line = '4242 (node ) (x)) S 1 4240 4240 0 -1 4194560 100 0 0 0 150 25 3 1 20 0 7 0 98765 1000000 2000 18446744073709551615';
  assert.deepEqual(parseStat(line), { pid: 4242, pgid: 4240, cpuTicks: 175, startTicks: 98765 });
  assert.equal(parseStat('garbage'), null);
  assert.equal(parseRssBytes('Name:\tnode\nVmRSS:\t  51200 kB\n'), 51200 * 1024);
  assert.equal(parseRssBytes('Name:\tkthreadd\n'), 0);
});

test('GroupCpuClock: CPU seconds that never go back; new, ended and reused pids', () => {
  const clock = new GroupCpuClock();
  const p = (pid: number, cpuTicks: number, startTicks = 1) => ({ pid, pgid: 1, cpuTicks, startTicks });
  // The first sample counts every process from its start: 150 ticks = 1.5 s.
  assert.equal(clock.sample([p(1, 100), p(2, 50)]), 1.5);
  // pid 1 +60 ticks, pid 2 +20 ticks → +0.8 s.
  assert.equal(clock.sample([p(1, 160), p(2, 70)]), 2.3);
  // pid 2 ended (keeps what it used), pid 3 appeared with 10 ticks, pid 1 +40 → +0.5 s.
  assert.equal(clock.sample([p(1, 200), p(3, 10)]), 2.8);
  // pid 1 reused by a new process (other start time) with 5 ticks: counted from its start.
  assert.equal(clock.sample([p(1, 5, 999), p(3, 10)]), 2.85);
});
