import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { WharfError } from '../../core/errors.js';
import { formatWarning } from '../../shared/config/source.js';
import { specToToml } from '../../shared/config/write-toml.js';
import type { GlobalOptions } from '../context.js';
import { printJson } from '../output/table.js';
import { readConfigFile } from '../../shared/config/read-config-file.js';
import { summary, withJsonOption } from './validate.js';

// `wharf import FILE`: writes the wharf.toml equivalent of a render.yaml, Compose file,
// Procfile or railway.toml/json for review, with what could not be mapped as comments on
// top. Offline; never overwrites a file without --force.

export function registerImport(program: Command): void {
  const command = program
    .command('import <file>')
    .description('Write the wharf.toml equivalent of render.yaml, docker-compose.yml, a Procfile or railway.toml/json, for review')
    .option('-o, --out <path>', 'where to write', 'wharf.toml')
    .option('-f, --force', 'overwrite the output file if it exists')
    .action(async (file: string, opts: { out: string; force?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const result = await readConfigFile(file, globals.service);
      const out = path.resolve(opts.out);
      if (path.resolve(file) === out) {
        throw new WharfError('BAD_REQUEST', `${opts.out} is the file being imported`, { hint: 'Choose another output with --out.' });
      }
      const header = [
        `Imported from ${result.file} by \`wharf import\`. Review it, then run \`wharf validate\`.`,
        ...(result.warnings.length > 0 ? ['', `Not mapped (${result.warnings.length}):`, ...result.warnings.map((w) => `  ${formatWarning(w)}`)] : []),
      ];
      const text = specToToml(result.spec, header);
      try {
        await fs.writeFile(out, text, { flag: opts.force ? 'w' : 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new WharfError('CONFLICT', `${opts.out} already exists`, { hint: `Pass --force to overwrite it, or --out another path.` });
        }
        throw err;
      }
      if (globals.json) return printJson({ ok: true, file: result.file, out: opts.out, warnings: result.warnings, spec: result.spec });
      console.log(`wrote ${opts.out} from ${result.file}`);
      console.log(summary(result.spec));
      if (result.warnings.length > 0) {
        console.log(`\nnot mapped (${result.warnings.length}, also listed at the top of ${opts.out}):`);
        for (const w of result.warnings) console.log(`  ${formatWarning(w)}`);
      }
    });
  withJsonOption(program, command);
}
