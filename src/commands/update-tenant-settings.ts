import { z } from "zod";
import { updateTenantSettings as writeTenantSettings } from "../settings/update.ts";
import { type Actor, type CommandDeps, runCommand } from "./command.ts";
import { localTime, storable, validate } from "./validate.ts";

const TenantSettingsInput = z.object({
  oneOffSync: z.boolean().nullish(),
  summarizeData: z.boolean().nullish(),
  nightlySyncTime: localTime.nullish(),
  timeZone: storable(100).refine(isTimeZone, "must be an IANA time zone such as Europe/London").nullish(),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Changes the tenant-wide settings; null or omitted fields stay as they are. */
export async function updateTenantSettings(
  deps: CommandDeps,
  viewer: Actor,
  input: z.input<typeof TenantSettingsInput>,
): Promise<{ tenantId: string }> {
  const changes = validate(TenantSettingsInput, input);
  return runCommand(deps, async (tx) => {
    await writeTenantSettings(tx, viewer.tenantId, changes);
    return { result: { tenantId: viewer.tenantId } };
  });
}
