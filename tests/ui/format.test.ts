import { describe, expect, it } from "vitest";
import { formatBytes } from "../../src/ui/format.ts";

describe("formatBytes", () => {
  it("writes sizes in binary units with at most three significant digits", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(412 * 2 ** 20)).toBe("412 MiB");
    expect(formatBytes(10 * 2 ** 30)).toBe("10 GiB");
    expect(formatBytes(1.5 * 2 ** 30)).toBe("1.5 GiB");
    expect(formatBytes(2 ** 20)).toBe("1 MiB");
  });
});
