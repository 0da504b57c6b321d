import { AsyncLocalStorage } from "node:async_hooks";
import pino from "pino";
import type { Config } from "./config.ts";
import { redactText, redactValue } from "./redact.ts";

/**
 * Fields every line logged inside `withLogContext` carries (the integration served, the run or packet
 * whose call is in flight), whoever logs it, so one run can be followed line by line.
 */
const logContext = new AsyncLocalStorage<Record<string, string>>();

/**
 * The one logger: structured JSON lines (pino). Child loggers add the role or component; the log context
 * adds the integration and run being worked on. It logs at `info` until the process has loaded its config
 * and called configureLogger.
 */
export const logger = pino({
  level: "info",
  base: { service: "syncline" },
  redact: ["req.headers.authorization", "credentials", "*.credentials", "accessToken", "refreshToken"],
  // Second line of defence: anything credential-shaped in a line's message or fields (src/redact.ts).
  hooks: {
    logMethod(args, method) {
      const clean = args.map((arg) => (typeof arg === "string" ? redactText(arg) : redactValue(arg)));
      return method.apply(this, clean as Parameters<typeof method>);
    },
  },
  mixin: (_line, _level, instance) => {
    const context = logContext.getStore();
    if (!context) return {};
    // A child logger that already names a field (e.g. integrationId) keeps it once, not twice.
    const bound = instance.bindings();
    return Object.fromEntries(Object.entries(context).filter(([key]) => !(key in bound)));
  },
});

/** Runs `fn` with `fields` added to every line logged inside it (nested contexts add to the outer one). */
export function withLogContext<T>(fields: Record<string, string>, fn: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, fn);
}

/** Applies the configured level; startApp calls it first, before any child logger is made. */
export function configureLogger(config: Pick<Config, "logLevel">): void {
  logger.level = config.logLevel;
}

export type Logger = pino.Logger;
