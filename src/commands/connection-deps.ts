import type { Connections } from "../connections/index.ts";
import type { CommandDeps } from "./command.ts";

/** What the connection commands need besides a command's usual: the process's connections. */
export type ConnectionDeps = CommandDeps & {
  connections: Pick<Connections, "callbackUrl" | "release" | "credentials">;
};
