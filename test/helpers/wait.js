import { setTimeout as sleep } from 'node:timers/promises';
export async function waitFor(a, b, c) {
    const positional = typeof a === 'string';
    const check = (positional ? b : a);
    const opts = positional
        ? { what: a, timeoutMs: typeof c === 'number' ? c : (c?.timeoutMs ?? 10_000), intervalMs: typeof c === 'number' ? undefined : c?.intervalMs }
        : b;
    const deadline = Date.now() + opts.timeoutMs;
    let last = null;
    for (;;) {
        try {
            const value = await check();
            if (value)
                return value;
            last = { value };
        }
        catch (error) {
            last = { error };
        }
        if (Date.now() >= deadline) {
            const what = typeof opts.what === 'string' ? opts.what : opts.what();
            throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what} (${describeLast(last)})`);
        }
        await sleep(Math.min(opts.intervalMs ?? 50, Math.max(1, deadline - Date.now())));
    }
}
function describeLast(last) {
    if (last === null)
        return 'never checked';
    if ('error' in last)
        return `last error: ${last.error instanceof Error ? last.error.message : String(last.error)}`;
    let text;
    try {
        text = JSON.stringify(last.value) ?? String(last.value);
    }
    catch {
        text = String(last.value);
    }
    return `last value: ${text.length > 500 ? `${text.slice(0, 500)}…` : text}`;
}
//# sourceMappingURL=wait.js.map