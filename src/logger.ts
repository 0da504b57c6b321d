import pino from "pino";
import type { Config } from "./config.ts";

/**
 * The one logger: structured JSON lines (pino). Child loggers add the role or component. It logs at
 * `info` until the process has loaded its config and called configureLogger.
 */
export const logger = pino({
  level: "info",
  base: { service: "syncline" },
  redact: ["req.headers.authorization", "credentials", "*.credentials", "accessToken", "refreshToken"],
});

/** Applies the configured level; startApp calls it first, before any child logger is made. */
export function configureLogger(config: Pick<Config, "logLevel">): void {
  logger.level = config.logLevel;
}

export type Logger = pino.Logger;
