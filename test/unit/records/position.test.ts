import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { decodeCursor, encodeCursor, justBefore } from "../../../src/records/position.ts";

describe("record cursors", () => {
  it("round-trip a position, and refuse anything else with the field named", () => {
    const position = { xid: "98765432109", seq: "42" };
    expect(decodeCursor(encodeCursor(position), ["after"])).toEqual(position);
    expect(justBefore(position)).toEqual({ xid: "98765432109", seq: "41" });
    for (const bad of [
      "",
      "abc",
      Buffer.from("v2.1.2").toString("base64url"),
      Buffer.from("v1.-1.2").toString("base64url"),
    ]) {
      try {
        decodeCursor(bad, ["after"]);
        expect.unreachable(bad);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues[0]!.path).toEqual(["after"]);
      }
    }
  });
});
