import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { WharfError } from '../../core/errors.js';
import { assertValueDepth, assertYamlDepth } from './depth.js';
import type { Position } from './positions.js';
import type { Locate, PathSegment, SourceDocument } from './source.js';

// YAML (render.yaml, docker-compose.yml) with source positions: `yaml`'s document API and a
// LineCounter, so a field maps back to its line and column.

export function readYaml(file: string, text: string): SourceDocument {
  assertYamlDepth(file, text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    const what = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new WharfError('INVALID_CONFIG', `${file}:${at.line}:${at.col} ${what}`, { hint: `Fix the YAML syntax in ${file}.` });
  }
  const position = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const locate: Locate = (path, at = 'key') => {
    let node: unknown = doc.contents;
    let found: Position | null = node && (node as Node).range ? position((node as Node).range![0]) : null;
    for (let i = 0; i < path.length; i++) {
      const segment: PathSegment = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return found;
        const key = pair.key as Node;
        const value = pair.value as Node | null;
        found = last && at === 'value' && value?.range ? position(value.range[0]) : key.range ? position(key.range[0]) : found;
        node = value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (!item) return found;
        if (item.range) found = position(item.range[0]);
        node = item;
      } else return found;
    }
    return found;
  };
  const read: SourceDocument = { file, value: toValue(doc, text, file, position), locate };
  assertValueDepth(read);
  return read;
}

// Aliases are resolved only here, and the yaml package throws plain errors for the ones it
// cannot resolve (an alias before its anchor, a merge of a non-map, too many aliases): found
// by test/fuzz/config-readers.test.ts, they were a 500 instead of a located error.
function toValue(doc: ReturnType<typeof parseDocument>, text: string, file: string, position: (offset: number) => Position): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (err) {
    const what = (err as Error).message.split('\n')[0]!;
    const alias = /alias\b.*?: (\S+)$/.exec(what)?.[1];
    const offset = alias === undefined ? -1 : text.indexOf(`*${alias}`);
    const at = offset >= 0 ? `:${position(offset).line}:${position(offset).column}` : '';
    throw new WharfError('INVALID_CONFIG', `${file}${at} ${what}`, { hint: `Fix the anchors and aliases (&name, *name, <<) in ${file}.` });
  }
}
