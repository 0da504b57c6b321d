import type { Config } from "../config.ts";
import type { Engine } from "../engine/index.ts";
import type { Events } from "../events.ts";
import type { Role } from "../generated/prisma/enums.ts";

/** The member a request acts as, from its bearer token. */
export interface Viewer {
  memberId: string;
  tenantId: string;
  role: Role;
}

/** What every resolver may use besides the Prisma client (imported as a module). */
export interface Services {
  config: Config;
  events: Events;
  engine: Engine;
}

/** What a request knows. */
export interface Context {
  viewer: Viewer | null;
  services: Services;
}
