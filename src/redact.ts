/**
 * The second line of defence for secrets: whatever is logged or stored as a message passes through here,
 * and anything credential-shaped is replaced by [redacted]. The first line is not putting credentials in
 * messages at all (platforms/http.ts records a failed call without its request headers).
 *
 * Removed: the value of an Authorization header or a Bearer/Basic scheme; OAuth fields (access_token,
 * refresh_token, client_secret, code_verifier, id_token) in JSON, form or query form; syncline's own API
 * tokens (sl_…); and every secret this process has used for a call (rememberSecret), wherever it appears.
 */

const REDACTED = "[redacted]";

const PATTERNS: [RegExp, string][] = [
  // Authorization: <anything up to the line's end or a quote>
  [/(authorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi, `$1${REDACTED}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  [
    /(["']?(?:access_?token|refresh_?token|client_?secret|code_?verifier|id_?token|private_?key|password|secret)["']?\s*[:=]\s*["']?)[^"'&\s,}]+/gi,
    `$1${REDACTED}`,
  ],
  [/\bsl_[A-Za-z0-9_-]{8,}/g, REDACTED],
];

/** A field whose string value is a secret whatever it looks like. */
const SECRET_KEY =
  /^(authorization|access_?token|refresh_?token|client_?secret|code_?verifier|id_?token|private_?key|password|secret|token)$/i;

/** Secrets used by this process lately (credentials sent on calls), found and removed verbatim. */
const remembered = new Set<string>();
const REMEMBER_AT_MOST = 2000;

/** Marks a secret this process is about to use, so it is redacted wherever it appears later. */
export function rememberSecret(secret: string): void {
  if (secret.length < 6 || remembered.has(secret)) return;
  if (remembered.size >= REMEMBER_AT_MOST) remembered.delete(remembered.values().next().value as string);
  remembered.add(secret);
}

/** The text with anything credential-shaped replaced by [redacted]. */
export function redactText(text: string): string {
  let out = text;
  for (const secret of remembered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** redactText on `text`, keeping null and undefined. */
export function redactMessage<T extends string | null | undefined>(text: T): T {
  return (typeof text === "string" ? redactText(text) : text) as T;
}

/** A copy of a JSON-like value with every string redacted (nested at most `depth` levels, deeper cut). */
export function redactValue(value: unknown, depth = 8): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth <= 0) return REDACTED;
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), stack: redactMessage(value.stack) };
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && typeof item === "string" ? REDACTED : redactValue(item, depth - 1);
  }
  return out;
}
