import type { DeploymentView, LogLineView } from '../../core/api.js';
import type { ApiClient } from '../client.js';

const SETTLED = new Set(['ACTIVE', 'FAILED', 'CRASHED', 'REMOVED']);

/**
 * Streams a deployment's build and deploy output until it settles; returns its final state.
 * Status changes print as `==> STATUS message`, log lines as they come.
 */
export async function followDeployment(client: ApiClient, deployment: DeploymentView, print: (line: string) => void): Promise<DeploymentView> {
  let final: DeploymentView | null = null;
  let lastStatus = '';
  for await (const event of client.events(`/v1/deployments/${deployment.id}/stream`)) {
    if (event.event === 'log') {
      const line = JSON.parse(event.data) as LogLineView;
      print(line.s === 'sys' ? line.m : `    ${line.m}`);
    } else if (event.event === 'status') {
      const change = JSON.parse(event.data) as { status: string; message: string };
      if (change.status !== lastStatus) {
        lastStatus = change.status;
        print(`--> ${change.status}`);
      }
    } else if (event.event === 'end') {
      final = JSON.parse(event.data) as DeploymentView;
    }
  }
  if (final) return final;
  const current = await client.get<DeploymentView>(`/v1/deployments/${deployment.id}`);
  if (!SETTLED.has(current.status)) throw new Error(`the stream ended while deployment #${current.number} is ${current.status}; follow it with \`wharf logs --build\``);
  return current;
}
