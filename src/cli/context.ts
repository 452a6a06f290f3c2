import path from 'node:path';
import { WharfError } from '../core/errors.js';
import { wharfPaths } from '../core/paths.js';
import { ApiClient } from './client.js';
import { readCliConfig, updateCliConfig, type Link } from '../shared/cli-config.js';

// Which server, which token, and which project/environment/service a command is about:
// flags first, then WHARF_* variables, then the folder's link in the CLI config.

export interface GlobalOptions {
  project?: string;
  environment?: string;
  service?: string;
  json?: boolean;
}

export interface Target {
  project: string;
  environment: string;
  service: string;
  /** The service came from the folder's link (not a flag or WHARF_SERVICE): it may not exist yet. */
  fromLink?: boolean;
}

export class CliContext {
  readonly configFile = wharfPaths().cliConfig;

  /** Which server and token: WHARF_API_URL / WHARF_TOKEN first, then the CLI config. */
  connection(): { baseUrl: string; token: string | undefined } {
    const config = readCliConfig(this.configFile);
    return { baseUrl: process.env.WHARF_API_URL ?? config.apiUrl ?? 'http://127.0.0.1:7070', token: process.env.WHARF_TOKEN ?? config.token };
  }

  client(): ApiClient {
    const { baseUrl, token } = this.connection();
    return new ApiClient(baseUrl, token);
  }

  /** The link of this folder or its nearest linked parent. */
  link(dir = process.cwd()): Link | null {
    const { links } = readCliConfig(this.configFile);
    for (let current = path.resolve(dir); ; current = path.dirname(current)) {
      const link = links[current];
      if (link) return link;
      if (path.dirname(current) === current) return null;
    }
  }

  saveLink(dir: string, link: Link): void {
    updateCliConfig(this.configFile, (config) => ({ ...config, links: { ...config.links, [path.resolve(dir)]: link } }));
  }

  project(opts: GlobalOptions): { project: string; environment: string } {
    const link = this.link();
    const project = opts.project ?? process.env.WHARF_PROJECT ?? link?.project;
    if (!project) {
      throw new WharfError('NOT_FOUND', 'this folder is not linked to a Wharf project', {
        hint: 'Run `wharf init` to create one, `wharf link <project>` to use an existing one, or pass --project.',
      });
    }
    const environment = opts.environment ?? process.env.WHARF_ENVIRONMENT ?? link?.environment ?? 'production';
    return { project, environment };
  }

  target(opts: GlobalOptions, fallbackService?: string): Target {
    const { project, environment } = this.project(opts);
    const explicit = opts.service ?? process.env.WHARF_SERVICE;
    const linked = this.link()?.service;
    const service = explicit ?? linked ?? fallbackService;
    if (!service) {
      throw new WharfError('NOT_FOUND', 'no service is selected for this folder', {
        hint: 'Pass --service <name>, link one with `wharf service <name>`, or deploy with `wharf up` first (it links the service it deploys).',
      });
    }
    return { project, environment, service, ...(explicit === undefined && linked !== undefined ? { fromLink: true } : {}) };
  }
}

export function servicePath(t: Target, suffix = ''): string {
  return `/v1/projects/${encodeURIComponent(t.project)}/environments/${encodeURIComponent(t.environment)}/services/${encodeURIComponent(t.service)}${suffix}`;
}
