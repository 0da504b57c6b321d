import { writeFileSync } from "node:fs";
import { printedSchema } from "../src/graphql/schema/index.ts";

// Prints the builder's schema to schema.graphql (committed; CI checks it is current).
writeFileSync(new URL("../schema.graphql", import.meta.url), printedSchema());
console.log("schema.graphql written");
