/** What a sandbox answers, and how a platform words its errors. Plain values: no HTTP here (http.ts). */

/** A JSON body with a status and optional extra headers. */
export interface SandboxReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A platform's error body, e.g. XPM's ResponseErrorDto or ConnectWise's { code, message }. */
export type ErrorBody = (message: string, status: number) => unknown;

/** An error reply in a platform's words. */
export type Failure = (status: number, message: string) => SandboxReply;

export function failureFrom(errorBody: ErrorBody): Failure {
  return (status, message) => ({ status, body: errorBody(message, status) });
}

/** A bug in a sandbox route should look like a platform 500, not hang the client. */
export function bugReply(failure: Failure, error: unknown): SandboxReply {
  return failure(500, `Sandbox error: ${(error as Error).message}`);
}
