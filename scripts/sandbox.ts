import { startPsaSandbox } from "../src/sandbox/psa/server.ts";
import { startXeroAccountingSandbox } from "../src/sandbox/xero-accounting/server.ts";
import { startXpmSandbox } from "../src/sandbox/xpm/server.ts";

/**
 * `npm run sandbox`: stand-ins for the three platforms, each with one seeded remote tenant, so syncline
 * can be tried without accounts. Ports PORT, PORT+1 and PORT+2 (default 4100–4102); then:
 *   SYNCLINE_XPM_URL=http://127.0.0.1:4100/ \
 *   SYNCLINE_XERO_ACCOUNTING_URL=http://127.0.0.1:4101/api.xro/2.0/ \
 *   SYNCLINE_PSA_URL=http://127.0.0.1:4102/v4_6_release/apis/3.0/ npm start
 * and connect integrations with remoteTenantId "demo-practice" (XPM), "demo-organisation" (Xero
 * Accounting) or "demo-company" (PSA, access token "publicKey:privateKey"), any token otherwise.
 */
const port = Number(process.env.PORT ?? 4100);
const minuteMs = Number(process.env.SYNCLINE_MINUTE_MS ?? 60_000);
const sandboxes = await Promise.all([
  startXpmSandbox({
    port,
    minuteMs,
    tenants: { "demo-practice": { clients: 200, jobs: 120, staff: 8, timeEntries: 1000 } },
  }),
  startXeroAccountingSandbox({ port: port + 1, minuteMs, tenants: { "demo-organisation": {} } }),
  startPsaSandbox({
    port: port + 2,
    minuteMs,
    tenants: { "demo-company": { companies: 100, tickets: 300 } },
  }),
]);
const [xpm, xero, psa] = sandboxes;
console.log(`XPM sandbox at ${xpm.url} (practice "demo-practice")`);
console.log(`Xero Accounting sandbox at ${xero.url} (organisation "demo-organisation")`);
console.log(`PSA sandbox at ${psa.url} (company "demo-company")`);
console.log(`A platform minute is ${minuteMs} ms.`);
const stop = async () => {
  await Promise.all(sandboxes.map((sandbox) => sandbox.close()));
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
