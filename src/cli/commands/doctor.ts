import type { Command } from 'commander';
import { WharfError } from '../../core/errors.js';
import type { CliContext, GlobalOptions } from '../context.js';
import { printJson } from '../output/table.js';

interface Finding {
  rule: string;
  severity: 'warn' | 'block';
  environment: string;
  service?: string;
  key?: string;
  message: string;
  hint: string;
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('Check the environment policy: secrets shared between environments, production databases or live payment keys outside production, variables from .env.example that are missing')
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const { project } = ctx.project(globals);
      const { findings, server = [] } = await ctx.client().get<{ findings: Finding[]; server?: string[] }>(`/v1/projects/${encodeURIComponent(project)}/doctor`);
      // What the server cannot guarantee as it runs (app isolation): on stderr, so --json stays the findings.
      for (const warning of server) console.error(`warn  server: ${warning}`);
      if (globals.json) printJson(findings);
      else if (findings.length === 0) console.log(`No findings: ${project}'s environments follow the policy.`);
      else {
        for (const f of findings) {
          console.log(`${f.severity === 'block' ? 'BLOCK' : 'warn '} ${f.environment}${f.service ? `/${f.service}` : ''}: ${f.message}`);
          console.log(`      ${f.hint}`);
        }
      }
      const blocking = findings.filter((f) => f.severity === 'block').length;
      if (blocking > 0) {
        throw new WharfError('CONFLICT', `${blocking} finding(s) block deploys to production`, { hint: 'Fix them, or set WHARF_POLICY=warn on the server to only warn.' });
      }
    });
}
