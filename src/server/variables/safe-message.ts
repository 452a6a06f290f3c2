// An error's message with what Node quotes of the offending input left out: ERR_INVALID_ARG_*
// errors end with "Received '<the value>'" (an env value, a path), which is the one part that
// may be a secret and the part nobody needs to fix it. Redaction of known secrets comes after.

const QUOTES_INPUT = new Set(['ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE']);

export function safeMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  if (code && QUOTES_INPUT.has(code)) return error.message.replace(/\.?\s*Received[\s\S]*$/, '');
  return error.message;
}
