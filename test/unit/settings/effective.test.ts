import { describe, expect, it } from "vitest";
import { resolveSettings, TENANT_DEFAULTS } from "../../../src/settings/effective.ts";

/** The three settings layers resolved without a database: a lower layer wins, null inherits. */
const tenant = { oneOffSync: false, summarizeData: true, nightlySyncTime: "03:30" };
const noPlatform = { oneOffSync: null, summarizeData: null, nightlySyncTime: null };

describe("settings resolution", () => {
  it("falls back to the defaults, marked DEFAULT, when no layer has a row", () => {
    const settings = resolveSettings({ platform: "XPM", tenant: null, platformLayer: null });
    expect(settings.oneOffSync).toEqual({ value: TENANT_DEFAULTS.oneOffSync, source: "DEFAULT" });
    expect(settings.summarizeData).toEqual({ value: TENANT_DEFAULTS.summarizeData, source: "DEFAULT" });
    expect(settings.nightlySyncTime).toEqual({ value: "02:00", source: "DEFAULT" });
  });

  it("lets the platform layer override the tenant, the integration override both, and null inherit", () => {
    const tenantOnly = resolveSettings({ platform: "XERO_ACCOUNTING", tenant, platformLayer: noPlatform });
    expect(tenantOnly.summarizeData).toEqual({ value: true, source: "TENANT" });
    expect(tenantOnly.nightlySyncTime).toEqual({ value: "03:30", source: "TENANT" });

    const platformLayer = { oneOffSync: true, summarizeData: false, nightlySyncTime: "01:00" };
    const platform = resolveSettings({ platform: "XERO_ACCOUNTING", tenant, platformLayer });
    expect(platform.summarizeData).toEqual({ value: false, source: "PLATFORM" });
    expect(platform.nightlySyncTime).toEqual({ value: "01:00", source: "PLATFORM" });
    expect(platform.oneOffSync).toEqual({ value: true, source: "PLATFORM" });

    const integration = resolveSettings({
      platform: "XERO_ACCOUNTING",
      tenant,
      platformLayer,
      integration: { summarizeData: true, entitySettings: [] },
    });
    expect(integration.summarizeData).toEqual({ value: true, source: "INTEGRATION" });
    const inherits = resolveSettings({
      platform: "XERO_ACCOUNTING",
      tenant,
      platformLayer,
      integration: { summarizeData: null, entitySettings: [] },
    });
    expect(inherits.summarizeData).toEqual({ value: false, source: "PLATFORM" });
  });

  it("resolves each entity of the platform, with the integration's own choices marked INTEGRATION", () => {
    const settings = resolveSettings({
      platform: "XPM",
      tenant,
      platformLayer: noPlatform,
      integration: {
        summarizeData: null,
        entitySettings: [
          {
            entity: "client",
            enabled: false,
            fetchOnFirstLink: null,
            customFields: ["Industry"],
            frequencyMinutes: null,
          },
          { entity: "time", enabled: null, fetchOnFirstLink: null, customFields: [], frequencyMinutes: 30 },
        ],
      },
    });
    expect(settings.entities.map((e) => e.entity)).toEqual(["client", "job", "staff", "time"]);
    const byEntity = new Map(settings.entities.map((e) => [e.entity, e]));
    expect(byEntity.get("client")).toMatchObject({
      enabled: { value: false, source: "INTEGRATION" },
      customFields: { value: ["Industry"], source: "INTEGRATION" },
    });
    expect(byEntity.get("job")).toMatchObject({
      enabled: { value: true, source: "DEFAULT" },
      customFields: { value: [], source: "DEFAULT" },
    });
    // Time entries are pulled every 10 minutes unless the integration says otherwise.
    expect(byEntity.get("time")!.frequencyMinutes).toEqual({ value: 30, source: "INTEGRATION" });
    expect(
      resolveSettings({ platform: "XPM", tenant, platformLayer: noPlatform }).entities.find(
        (e) => e.entity === "time",
      )!.frequencyMinutes,
    ).toEqual({ value: 10, source: "DEFAULT" });
  });
});
