import { fileURLToPath } from 'node:url';

// Wharf starts some of its own programs (router, supervisor, static server) as separate
// processes. They must run the same way as the caller: compiled .js under dist/, or .ts
// under tsx in tests. These two helpers hide that difference.

/** Absolute path of a sibling entry file, e.g. entryPath(import.meta.url, '../router/main'). */
export function entryPath(importMetaUrl: string, relativeWithoutExtension: string): string {
  const extension = importMetaUrl.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(relativeWithoutExtension + extension, importMetaUrl));
}

/** argv to start a Wharf entry file with this Node, keeping loader flags such as tsx's. */
export function nodeEntryArgv(file: string, args: readonly string[] = []): string[] {
  const loaderFlags: string[] = [];
  const execArgv = process.execArgv;
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    if ((flag === '--import' || flag === '--loader' || flag === '--require') && execArgv[i + 1]) {
      loaderFlags.push(flag, absoluteSpecifier(execArgv[i + 1]!));
      i++;
    } else if (/^--(import|loader|require)=/.test(flag)) {
      loaderFlags.push(flag);
    }
  }
  // Under tsx's CLI the loader is not in execArgv; a .ts entry still needs it.
  if (file.endsWith('.ts') && !loaderFlags.some((f) => f.includes('tsx'))) loaderFlags.push('--import', absoluteSpecifier('tsx'));
  return [process.execPath, ...loaderFlags, file, ...args];
}

// A bare loader name ("tsx") resolves from the child's working directory, which for an app is
// its release folder with no node_modules: resolve it here, from Wharf's own install.
function absoluteSpecifier(specifier: string): string {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.includes(':')) return specifier;
  try {
    return import.meta.resolve(specifier);
  } catch {
    return specifier;
  }
}
