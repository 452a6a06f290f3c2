import type { LogLineView } from '../../core/api.js';

/** One log line for a terminal: time, where it came from, the text. */
export function formatLogLine(line: LogLineView): string {
  const time = line.t.slice(11, 23);
  const source = line.replica ? ` ${line.replica.slice(-6)}` : '';
  const marker = line.s === 'sys' ? ' [wharf]' : line.s === 'err' ? ' [err]' : '';
  return `${time}${source}${marker} ${line.m}`;
}
