// The error catalog: every failure a user can see has a stable code, an HTTP status,
// a message and a hint naming the next step. Domain code throws WharfError; only the
// API's error handler turns it into HTTP and only the CLI's main into terminal text.

export interface ErrorDefinition {
  readonly status: number;
  readonly title: string;
}

export const ERRORS = {
  BAD_REQUEST: { status: 400, title: 'The request is not valid' },
  INVALID_CONFIG: { status: 400, title: 'A configuration file is not valid' },
  INVALID_NAME: { status: 400, title: 'A name is not allowed' },
  INVALID_SOURCE: { status: 400, title: 'The uploaded source was rejected' },
  SOURCE_TOO_LARGE: { status: 413, title: 'The uploaded source is too large' },
  UNAUTHORIZED: { status: 401, title: 'Not signed in' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  BUILD_FAILED: { status: 422, title: 'The build failed' },
  NO_BUILDER: { status: 422, title: 'No builder recognised this source' },
  DEPLOY_FAILED: { status: 422, title: 'The deployment failed' },
  ARTIFACT_GONE: { status: 410, title: 'The deployment can no longer be rolled back' },
  RUNTIME_ERROR: { status: 500, title: 'The runtime failed' },
  SERVER_UNREACHABLE: { status: 503, title: 'The Wharf server cannot be reached' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

export class WharfError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { hint?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'WharfError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, hint: this.hint, details: this.details } };
  }
}

export interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: unknown };
}

export function isWharfError(value: unknown): value is WharfError {
  return value instanceof WharfError;
}
