import type { DeploymentView, LogLineView } from '../../core/api.js';
import type { ApiClient } from '../client.js';

const SETTLED = new Set(['ACTIVE', 'FAILED', 'CRASHED', 'EXITED', 'REMOVED']);
const MAX_RECONNECTS = 5;

/**
 * Streams a deployment's build and deploy output until it settles; returns its final state.
 * Status changes print as `--> STATUS`, log lines as they come. A dropped stream is reopened
 * (bounded); the server replays it from the start, so what was already printed is skipped.
 */
export async function followDeployment(client: ApiClient, deployment: DeploymentView, print: (line: string) => void): Promise<DeploymentView> {
  let lastStatus = '';
  let seen = 0;
  for (let attempt = 0; ; attempt++) {
    let index = 0;
    try {
      for await (const event of client.events(`/v1/deployments/${deployment.id}/stream`)) {
        if (event.event === 'end') return JSON.parse(event.data) as DeploymentView;
        if (index++ < seen) continue;
        seen++;
        if (event.event === 'log') {
          const line = JSON.parse(event.data) as LogLineView;
          print(line.s === 'sys' ? line.m : `    ${line.m}`);
        } else if (event.event === 'status') {
          const change = JSON.parse(event.data) as { status: string };
          if (change.status !== lastStatus) {
            lastStatus = change.status;
            print(`--> ${change.status}`);
          }
        }
      }
    } catch (error) {
      if (attempt >= MAX_RECONNECTS) throw error;
    }
    const current = await client.get<DeploymentView>(`/v1/deployments/${deployment.id}`);
    if (SETTLED.has(current.status) && attempt >= MAX_RECONNECTS) return current;
    if (attempt >= MAX_RECONNECTS) throw new Error(`the stream ended while deployment #${current.number} is ${current.status}; follow it with \`wharf logs --build\``);
  }
}
