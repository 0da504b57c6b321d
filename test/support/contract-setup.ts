import { appendFileSync } from "node:fs";
import { afterAll, afterEach, expect } from "vitest";
import {
  type ContractViolation,
  contractTally,
  enableContractChecks,
  takeContractViolations,
} from "../../src/sandbox/kit/contract.ts";

/**
 * Every sandbox a test starts checks each call against Xero's OpenAPI contracts (src/sandbox/kit/
 * contract.ts): the test whose calls broke the contract fails, naming the call and what is wrong.
 * With SYNCLINE_CONTRACT_TALLY=<file>, each test file appends what it checked there (one JSON line),
 * so a full run can say how many requests and responses were validated.
 */
enableContractChecks();

afterEach(() => failOn(takeContractViolations()));

afterAll(() => {
  failOn(takeContractViolations());
  const file = process.env.SYNCLINE_CONTRACT_TALLY;
  if (file)
    appendFileSync(file, `${JSON.stringify({ file: expect.getState().testPath, ...contractTally() })}\n`);
});

function failOn(violations: ContractViolation[]): void {
  if (violations.length === 0) return;
  const lines = violations.map(
    (v) => `${v.platform} ${v.call} (${v.side}):\n${v.problems.map((p) => `    - ${p}`).join("\n")}`,
  );
  throw new Error(`The sandbox calls broke Xero's contract:\n  ${lines.join("\n  ")}`);
}
