import { parseArgs } from "node:util";
import { addMember, createTenant, issueToken } from "./auth/tenants.ts";
import { loadConfig } from "./config.ts";
import { openDatabase } from "./db/client.ts";
import type { Role } from "./generated/prisma/enums.ts";

const USAGE = `Usage: npm run syncline -- <command> [options]

Commands:
  migrate                                   apply pending database migrations
  create-tenant --name NAME [--time-zone Z] create a tenant and print its OWNER token
  add-member --tenant ID --name NAME --role OWNER|ADMIN|VIEWER
                                            add a member and print their token
  create-token --member ID                  issue another token for a member
`;

async function run(argv: string[]) {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: "string" },
      "time-zone": { type: "string" },
      tenant: { type: "string" },
      role: { type: "string" },
      member: { type: "string" },
    },
  });
  const config = loadConfig();
  if (!command || !["migrate", "create-tenant", "add-member", "create-token"].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  const db = await openDatabase(config.database);
  try {
    switch (command) {
      case "migrate":
        console.log("migrations applied");
        return 0;
      case "create-tenant": {
        if (!values.name?.trim()) throw new Error("--name is required and must not be empty");
        const issued = await createTenant(db.prisma, {
          name: values.name,
          timeZone: values["time-zone"] ?? "UTC",
        });
        console.log(`tenant ${issued.tenantId} created; OWNER token:`);
        console.log(issued.token);
        return 0;
      }
      case "add-member": {
        const role = values.role?.toUpperCase();
        if (!values.tenant || !values.name || !role || !["OWNER", "ADMIN", "VIEWER"].includes(role)) {
          throw new Error("--tenant, --name and --role OWNER|ADMIN|VIEWER are required");
        }
        const issued = await addMember(db.prisma, {
          tenantId: values.tenant,
          name: values.name,
          role: role as Role,
        });
        console.log(`member ${issued.memberId} added; token:`);
        console.log(issued.token);
        return 0;
      }
      default: {
        if (!values.member) throw new Error("--member is required");
        console.log(await issueToken(db.prisma, values.member));
        return 0;
      }
    }
  } finally {
    await db.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
