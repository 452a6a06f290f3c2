// One operation at a time per service instance (deploy, rollback, restart, reconcile repair):
// they all move the same replicas and routes.

export class InstanceLocks {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly busy = new Map<string, number>();

  isBusy(instanceId: string): boolean {
    return (this.busy.get(instanceId) ?? 0) > 0;
  }

  run<T>(instanceId: string, work: () => Promise<T>): Promise<T> {
    this.busy.set(instanceId, (this.busy.get(instanceId) ?? 0) + 1);
    const previous = this.tails.get(instanceId) ?? Promise.resolve();
    const result = previous.catch(() => undefined).then(work);
    const tail = result.finally(() => {
      const left = (this.busy.get(instanceId) ?? 1) - 1;
      if (left === 0) this.busy.delete(instanceId);
      else this.busy.set(instanceId, left);
      if (this.tails.get(instanceId) === tail) this.tails.delete(instanceId);
    });
    this.tails.set(instanceId, tail.catch(() => undefined));
    return result;
  }

  /** Resolves when every queued operation has finished (used on shutdown and in tests). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
