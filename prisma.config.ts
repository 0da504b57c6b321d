import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// The Rust-free setup that works offline (see STACK.md): the CLI runs on the JS engine through
// adapter-pg. Migrations are applied by syncline's own runner (src/db/migrate.ts), not by the CLI.
export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  engine: "js",
  async adapter() {
    return new PrismaPg({
      connectionString: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    });
  },
});
