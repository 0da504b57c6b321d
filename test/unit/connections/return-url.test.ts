import { describe, expect, it } from "vitest";
import { isAllowedReturnUrl } from "../../../src/connections/flows.ts";

/** The callback sends the browser (with the connection's outcome) only to the host's own pages. */
describe("return URL allowlist", () => {
  const config = {
    oauth: { returnUrls: ["https://app.example/integrations/", "https://admin.example/done"] },
  };
  const allowed = (url: string) => isAllowedReturnUrl(config as never, url);

  it("takes URLs under an allowed URL's origin and path", () => {
    expect(allowed("https://app.example/integrations/")).toBe(true);
    expect(allowed("https://app.example/integrations/xero?tab=1")).toBe(true);
    expect(allowed("https://admin.example/done")).toBe(true);
    expect(allowed("https://admin.example/done/step-2")).toBe(true);
  });

  it("refuses other origins, schemes, ports and paths that only start alike", () => {
    expect(allowed("https://evil.example/integrations/")).toBe(false);
    expect(allowed("http://app.example/integrations/")).toBe(false);
    expect(allowed("https://app.example:8443/integrations/")).toBe(false);
    expect(allowed("https://app.example.evil.example/integrations/")).toBe(false);
    expect(allowed("https://app.example/integrationsx")).toBe(false);
    expect(allowed("https://admin.example/done-and-gone")).toBe(false);
    expect(allowed("https://app.example/other")).toBe(false);
    expect(allowed("javascript:alert(1)")).toBe(false);
    expect(allowed("not a url")).toBe(false);
  });

  it("refuses everything when none is configured", () => {
    expect(isAllowedReturnUrl({ oauth: { returnUrls: [] } } as never, "https://app.example/")).toBe(false);
  });
});
