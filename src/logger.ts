import pino from "pino";

/** The one logger: structured JSON lines (pino). Child loggers add the role or component. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: { service: "syncline" },
  redact: ["req.headers.authorization", "credentials", "*.credentials", "accessToken", "refreshToken"],
});

export type Logger = pino.Logger;
