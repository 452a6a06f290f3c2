import type { VariableView } from '../../core/api.js';
import { WharfError } from '../../core/errors.js';
import { formatDotenv, parseDotenv } from '../../shared/dotenv.js';

// The .env files `wharf variables export` writes and `import` reads back: values in clear (the
// caller may read them), `# KEY is secret` above a secret one so an import keeps it secret, and
// `# KEY is sealed …` in place of a sealed one (its value never leaves the server).

/** What the API shows instead of a secret's value when it is not revealed. */
export const MASK = '********';

const SECRET_MARK = /^# ([A-Za-z_][A-Za-z0-9_]*) is secret\b/gm;

export function exportDotenv(list: VariableView[]): string {
  let out = '';
  for (const v of list) {
    if (v.sealed || v.value === null) {
      out += `# ${v.key} is sealed: its value never leaves the server; set it again with \`wharf variables --sealed --set ${v.key}=…\`\n`;
    } else if (v.secret && v.value === MASK) {
      out += `# ${v.key} is secret and this token may not read it; set it again with \`wharf variables --secret --set ${v.key}=…\`\n`;
    } else {
      if (v.secret) out += `# ${v.key} is secret (\`wharf variables import\` keeps it secret)\n`;
      out += formatDotenv({ [v.key]: v.value });
    }
  }
  return out;
}

/** `KEY=VALUE` lines of what can be read (`railway variables --kv`); sealed ones left out. */
export function kvLines(list: VariableView[]): string {
  return formatDotenv(Object.fromEntries(list.filter((v) => v.value !== null && !(v.secret && v.value === MASK)).map((v) => [v.key, v.value!])));
}

export interface ImportedVariables {
  values: Record<string, string>;
  /** Keys marked `# KEY is secret` by an export. */
  secret: Set<string>;
}

/** Reads a .env file; refuses one that holds masks instead of values, naming the keys. */
export function importDotenv(text: string, file: string): ImportedVariables {
  const values = parseDotenv(text, file);
  const masked = Object.keys(values).filter((k) => /^\*{8,}$/.test(values[k]!));
  if (masked.length > 0) {
    throw new WharfError('BAD_REQUEST', `${file}: ${masked.join(', ')} hold${masked.length === 1 ? 's' : ''} the mask ${MASK}, not a value; nothing was imported`, {
      hint: 'The file was written from a masked listing. Export the values with `wharf variables export > FILE`, or set these keys with `wharf variables set KEY=VALUE`.',
    });
  }
  const secret = new Set([...text.matchAll(SECRET_MARK)].map((m) => m[1]!).filter((k) => k in values));
  return { values, secret };
}
