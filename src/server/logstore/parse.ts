// What an app's line says about itself: JSON lines (`{"level":"error","msg":"…", …}`, pino's
// numeric levels, bunyan/winston/zap/logrus spellings) give level, message and fields; plain
// lines give a level from a simple prefix (ERROR, WARN, [info], E …) or none.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface ParsedLine {
  level: LogLevel | null;
  message: string;
  /** Every other key of a JSON line, as JSON text; null for plain lines. */
  fields: string | null;
}

const LEVEL_WORDS: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  dbg: 'debug',
  verbose: 'debug',
  info: 'info',
  information: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  panic: 'fatal',
  emerg: 'fatal',
  alert: 'fatal',
};

export function normalizeLevel(value: unknown): LogLevel | null {
  if (typeof value === 'number') {
    // pino/bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
    if (value >= 60) return 'fatal';
    if (value >= 50) return 'error';
    if (value >= 40) return 'warn';
    if (value >= 30) return 'info';
    if (value >= 20) return 'debug';
    if (value >= 10) return 'trace';
    return null;
  }
  if (typeof value === 'string') return LEVEL_WORDS[value.trim().toLowerCase()] ?? (/^\d+$/.test(value) ? normalizeLevel(Number(value)) : null);
  return null;
}

const LEVEL_KEYS = ['level', 'lvl', 'severity', 'levelname', 'log.level'];
const MESSAGE_KEYS = ['msg', 'message', 'event', 'text'];
// Keys that are the logger's own bookkeeping, not fields worth keeping.
const DROPPED_KEYS = new Set(['time', 'timestamp', 'ts', '@timestamp', 'v', 'hostname', 'pid']);

const PREFIX = /^\s*(?:\[\s*)?(?:\d{4}-\d\d-\d\d[T ][\d:.,]+Z?\s*(?:\]\s*)?)?[[(<]?(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERR(?:OR)?|FATAL|CRIT(?:ICAL)?|PANIC)\b[\])>:]?/i;

export function parseAppLine(text: string): ParsedLine {
  const first = text.charCodeAt(0);
  if (first === 123 /* { */ && text.charCodeAt(text.length - 1) === 125 /* } */) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = null;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      let level: LogLevel | null = null;
      let levelKey: string | null = null;
      for (const key of LEVEL_KEYS) {
        if (key in record) {
          level = normalizeLevel(record[key]);
          if (level) {
            levelKey = key;
            break;
          }
        }
      }
      let message = '';
      let messageKey: string | null = null;
      for (const key of MESSAGE_KEYS) {
        if (typeof record[key] === 'string') {
          message = record[key] as string;
          messageKey = key;
          break;
        }
      }
      // The other keys, as JSON.stringify would write the object without the ones taken out
      // (built key by key: copying the object and deleting keys costs more than this).
      let fields = '';
      for (const key of Object.keys(record)) {
        if (key === levelKey || key === messageKey || DROPPED_KEYS.has(key)) continue;
        fields += `${fields === '' ? '{' : ','}${JSON.stringify(key)}:${JSON.stringify(record[key])}`;
      }
      return { level, message: message || text, fields: fields === '' ? null : `${fields}}` };
    }
  }
  const prefix = PREFIX.exec(text);
  return { level: prefix ? normalizeLevel(prefix[1]!.toLowerCase()) : null, message: text, fields: null };
}
