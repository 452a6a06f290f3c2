import { WharfError } from '../../core/errors.js';
import type { CliContext, GlobalOptions, Target } from '../context.js';
import { environmentPath } from './plan-apply.js';

// Which database a `wharf db …` command is about, the same way for every subcommand:
// --database NAME (or the old positional NAME), else -s/--service when it names a database,
// else the folder's linked service when it is one, else the environment's only database. An
// app's folder is linked to the app, so the default must not be "the linked service".

export async function databaseTarget(ctx: CliContext, globals: GlobalOptions, given: string | undefined, options: { orDeleted?: boolean } = {}): Promise<Target> {
  const { project, environment } = ctx.project(globals);
  const names = (await ctx.client().get<Array<{ service: string }>>(`${environmentPath(ctx, globals)}/databases`)).map((d) => d.service);
  const where = `${project}/${environment}`;
  const listed = names.length > 0 ? `Databases in ${where}: ${names.join(', ')}.` : 'Add one with `wharf add postgres` (or redis, mysql, mongo).';
  const explicit = given ?? globals.service ?? process.env.WHARF_SERVICE;
  if (explicit !== undefined) {
    // A deleted database's final backups are still listed under its name.
    if (!names.includes(explicit) && !options.orDeleted) throw new WharfError('NOT_FOUND', `'${explicit}' is not a database in ${where}`, { hint: listed });
    return { project, environment, service: explicit };
  }
  const linked = ctx.link()?.service;
  if (linked !== undefined && names.includes(linked)) return { project, environment, service: linked };
  if (names.length === 1) return { project, environment, service: names[0]! };
  if (names.length === 0) throw new WharfError('NOT_FOUND', `${where} has no database`, { hint: listed });
  throw new WharfError('BAD_REQUEST', `${where} has ${names.length} databases (${names.join(', ')}): say which one`, { hint: `Pass --database NAME, e.g. --database ${names[0]}.` });
}
