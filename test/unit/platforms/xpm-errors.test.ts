import { describe, expect, it } from "vitest";
import { xpmRefusal } from "../../../src/platforms/xpm/errors.ts";

/** How an XPM 500 is told apart: a refusal of the request, or a failure worth retrying. */
describe("xpmRefusal", () => {
  it("reads a 500 whose ResponseErrorDto says what is wrong with the request as a refusal", () => {
    expect(xpmRefusal(500, { status: "ERROR", errorDescription: "Job J000404 not found" })).toBe(
      "Job J000404 not found",
    );
    expect(
      xpmRefusal(500, { status: "error", errorDescription: "budget must be a number of at least 0" }),
    ).toBe("budget must be a number of at least 0");
  });

  it("leaves the contract's generic 500, other 5xx and bodies that are no ResponseErrorDto to the retry policy", () => {
    expect(
      xpmRefusal(500, { status: "ERROR", errorDescription: "An unexpected error occurred." }),
    ).toBeNull();
    expect(xpmRefusal(500, { status: "ERROR", errorDescription: "The request timed out" })).toBeNull();
    expect(
      xpmRefusal(500, { status: "ERROR", errorDescription: "Service temporarily unavailable" }),
    ).toBeNull();
    expect(xpmRefusal(500, { status: "ERROR" })).toBeNull();
    expect(xpmRefusal(500, "<html>Internal Server Error</html>")).toBeNull();
    expect(xpmRefusal(500, null)).toBeNull();
    expect(xpmRefusal(503, { status: "ERROR", errorDescription: "Job J000404 not found" })).toBeNull();
    expect(xpmRefusal(502, { status: "ERROR", errorDescription: "Bad gateway" })).toBeNull();
  });
});
