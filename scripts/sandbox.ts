import { startIdentitySandbox } from "../src/sandbox/identity/server.ts";
import { startPsaSandbox } from "../src/sandbox/psa/server.ts";
import { startXeroAccountingSandbox } from "../src/sandbox/xero-accounting/server.ts";
import { startXpmSandbox } from "../src/sandbox/xpm/server.ts";

/**
 * `npm run sandbox`: stand-ins for the three platforms and for Xero's identity service, each with seeded
 * remote tenants, so syncline can be tried without accounts. Ports PORT to PORT+3 (default 4100–4103).
 * It prints the environment to start syncline against them with (`npm start`). The Xero tenants
 * ("demo-practice", "demo-organisation", "demo-organisation-2") are connected through the identity
 * server's authorization page (startConnection); the PSA's ("demo-company") with connectIntegration and
 * the API member's keys "publicKey:privateKey".
 */
const port = Number(process.env.PORT ?? 4100);
const minuteMs = Number(process.env.SYNCLINE_MINUTE_MS ?? 60_000);
const client = { clientId: "syncline-sandbox", clientSecret: "sandbox-secret" };
const identity = await startIdentitySandbox({
  port: port + 3,
  minuteMs,
  clients: [{ ...client, redirectUris: ["http://localhost:4000/oauth/callback"] }],
  organisations: [
    { tenantId: "demo-practice", tenantName: "Demo Practice", tenantType: "PRACTICEMANAGER" },
    { tenantId: "demo-organisation", tenantName: "Demo Company (NZ)", tenantType: "ORGANISATION" },
    { tenantId: "demo-organisation-2", tenantName: "Demo Company (AU)", tenantType: "ORGANISATION" },
  ],
});
const sandboxes = await Promise.all([
  startXpmSandbox({
    port,
    minuteMs,
    identity: identity.state,
    tenants: { "demo-practice": { clients: 200, jobs: 120, staff: 8, timeEntries: 1000 } },
  }),
  startXeroAccountingSandbox({
    port: port + 1,
    minuteMs,
    identity: identity.state,
    tenants: { "demo-organisation": {}, "demo-organisation-2": {} },
  }),
  startPsaSandbox({
    port: port + 2,
    minuteMs,
    tenants: { "demo-company": { companies: 100, tickets: 300 } },
  }),
]);
const [xpm, xero, psa] = sandboxes;
console.log(`XPM sandbox at ${xpm.url} (practice "demo-practice")`);
console.log(
  `Xero Accounting sandbox at ${xero.url} (organisations "demo-organisation", "demo-organisation-2")`,
);
console.log(`PSA sandbox at ${psa.url} (company "demo-company", keys "publicKey:privateKey")`);
console.log(`Xero identity sandbox at ${identity.url} (app "${client.clientId}")`);
console.log(`A platform minute is ${minuteMs} ms; an access token lives 30 platform minutes.`);
console.log("\nStart syncline against them with:\n");
console.log(
  [
    `SYNCLINE_XPM_URL=${xpm.url}`,
    `SYNCLINE_XERO_ACCOUNTING_URL=${xero.url}`,
    `SYNCLINE_PSA_URL=${psa.url}`,
    `SYNCLINE_XERO_LOGIN_URL=${identity.url}`,
    `SYNCLINE_XERO_IDENTITY_URL=${identity.url}`,
    `SYNCLINE_XERO_CONNECTIONS_URL=${identity.url}`,
    `SYNCLINE_XERO_CLIENT_ID=${client.clientId}`,
    `SYNCLINE_XERO_CLIENT_SECRET=${client.clientSecret}`,
    ...(minuteMs === 60_000 ? [] : [`SYNCLINE_MINUTE_MS=${minuteMs}`]),
    "npm start",
  ].join(" \\\n  "),
);
const stop = async () => {
  await Promise.all([...sandboxes.map((sandbox) => sandbox.close()), identity.close()]);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
