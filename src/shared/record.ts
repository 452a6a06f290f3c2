// Records keyed by user-chosen names: `__proto__` is a valid variable name, so values are
// defined as own properties rather than assigned (assignment would set the prototype).

export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An own property only, so `constructor` or `toString` never reach Object.prototype. */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
