import type { Command } from 'commander';
import { formatWarning } from '../../shared/config/source.js';
import type { GlobalOptions } from '../context.js';
import { printJson } from '../output/table.js';
import type { ImportResult } from '../../core/project-spec.js';
import { readConfigFile } from '../../shared/config/read-config-file.js';

// `wharf validate [FILE]`: checks a project file offline (no server). Prints "ok", what it
// describes and every warning (exit 0), or throws the first error with its line (exit 1).

export function registerValidate(program: Command): void {
  const command = program
    .command('validate [file]')
    .description('Check wharf.toml (or render.yaml, docker-compose.yml, a Procfile, railway.toml/json) offline; default: the project file in this folder')
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const result = await readConfigFile(file, globals.service);
      if (globals.json) return printJson({ ok: true, file: result.file, warnings: result.warnings, spec: result.spec });
      console.log(`ok: ${result.file}`);
      console.log(summary(result.spec));
      if (result.warnings.length > 0) {
        console.log(`\n${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'} (not mapped or not supported yet):`);
        for (const w of result.warnings) console.log(`  ${formatWarning(w)}`);
      }
    });
  withJsonOption(program, command);
}

/** Adds `--json` unless the program already has it as a global option. */
export function withJsonOption(program: Command, command: Command): Command {
  return program.options.some((o) => o.long === '--json') ? command : command.option('--json', 'machine-readable output');
}

export function summary(spec: ImportResult['spec']): string {
  const services = Object.entries(spec.services).map(([name, s]) => `${name} (${s.kind})`);
  const databases = Object.entries(spec.databases).map(([name, d]) => `${name} (${d.engine})`);
  return [
    `services: ${services.length > 0 ? services.join(', ') : 'none'}`,
    ...(databases.length > 0 ? [`databases: ${databases.join(', ')}`] : []),
    `environments: ${spec.environments.join(', ')}`,
  ].join('\n');
}
