// A node:test reporter for scripts/run-tests.mjs: writes one JSON line per skipped test (its
// file, its full name with the suites around it, the reason given) to its destination, so the
// runner can hold skips under CI=true against its allow-list. Node's own reporter still prints
// everything else.
import path from 'node:path';

export default async function* skippedReporter(source) {
  const names = [];
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:start') {
      names.length = data.nesting;
      names[data.nesting] = data.name;
    } else if ((type === 'test:pass' || type === 'test:fail') && data.skip !== undefined && data.skip !== false) {
      const name = [...names.slice(0, data.nesting), data.name].join(' > ');
      const file = data.file ? path.relative(process.cwd(), data.file) : '';
      yield `${JSON.stringify({ file, name, reason: typeof data.skip === 'string' ? data.skip : '' })}\n`;
    }
  }
}
