import type { ConnectionDeps } from "../commands/connection-deps.ts";
import type { Config } from "../config.ts";
import type { Connections } from "../connections/index.ts";
import { prisma } from "../db/client.ts";
import type { Engine } from "../engine/index.ts";
import type { EventFeed, Events } from "../events.ts";
import type { Role } from "../generated/prisma/enums.ts";
import type { LiveHub } from "./live/hub.ts";

/** The member a request acts as, from its bearer token. */
export interface Viewer {
  memberId: string;
  tenantId: string;
  role: Role;
}

/** What every resolver may use besides the Prisma client (imported as a module). */
export interface Services {
  /** This process's fan-in of published events, behind every live subscription (graphql/live). */
  feed: EventFeed;
  config: Config;
  events: Events;
  engine: Engine;
  /** Connect flows, the engine's credentials, releases of authorizations. */
  connections: Connections;
}

/** What a request knows. */
export interface Context {
  viewer: Viewer | null;
  services: Services;
  /** The API node's live subscriptions (one per process, shared by every request). */
  live: LiveHub;
}

/** The viewer of a field behind the `member` scope (scope-auth has already rejected anonymous calls). */
export function viewerOf(ctx: { viewer: Viewer | null }): Viewer {
  if (!ctx.viewer) throw new Error("viewerOf called on a field without the member scope");
  return ctx.viewer;
}

/** What a mutation's command runs with. */
export function commandDeps(ctx: Context): ConnectionDeps {
  return { prisma: prisma(), ...ctx.services };
}
