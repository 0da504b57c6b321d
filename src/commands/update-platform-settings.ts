import { z } from "zod";
import type { PlatformSettings } from "../generated/prisma/client.ts";
import { PLATFORM_KEYS } from "../platforms/catalog.ts";
import { EXPORT_RESERVE_MODES } from "../settings/effective.ts";
import { updatePlatformSettings as writePlatformSettings } from "../settings/update.ts";
import { type Actor, type CommandDeps, runCommand } from "./command.ts";
import { localTime, validate } from "./validate.ts";

const PlatformSettingsInput = z.object({
  platform: z.enum(PLATFORM_KEYS),
  oneOffSync: z.boolean().nullable().optional(),
  summarizeData: z.boolean().nullable().optional(),
  nightlySyncTime: localTime.nullable().optional(),
  exportReserveMode: z.enum(EXPORT_RESERVE_MODES).nullable().optional(),
});

/** Changes the tenant's settings for one platform: omitted fields stay, null clears an override. */
export function updatePlatformSettings(
  deps: CommandDeps,
  viewer: Actor,
  input: z.input<typeof PlatformSettingsInput>,
): Promise<PlatformSettings> {
  const { platform, ...changes } = validate(PlatformSettingsInput, input);
  return runCommand(deps, async (tx) => ({
    result: await writePlatformSettings(tx, viewer.tenantId, platform, changes),
  }));
}
