import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runUntilScreen, screen, type } from "../machine/firmware-helpers.ts";
import { createFixtureMachine, fixtureConfig, fixtureImageSha256, sha256 } from "./fixture-machine.ts";
import { decodeStateFile } from "./state-file.ts";

const fixture = decodeStateFile(readFileSync(new URL("fixtures/freedos-0.1.0.state.gz", import.meta.url)));

describe("a snapshot saved by release 0.1.0", () => {
  it("was made from the same image and firmware this test builds the machine from", () => {
    const config = fixtureConfig();
    const about = fixture.about as { image: { sha256: string }; bios: { sha256: string }; vgaBios: { sha256: string } };
    expect(fixtureImageSha256()).toBe(about.image.sha256);
    expect(sha256(config.bios!)).toBe(about.bios.sha256);
    expect(sha256(config.vgaBios!)).toBe(about.vgaBios.sha256);
  });

  it("loads into this build and FreeDOS goes on answering commands", () => {
    const m = createFixtureMachine();
    m.loadState(fixture.state);
    expect(screen(m)).toContain("FreeCom version 0.82");
    type(m, "echo restored\r");
    runUntilScreen(m, () => /^restored\s*$/m.test(screen(m)));
    expect(m.state).not.toBe("crashed");
  });

  it("saves again to the same tree it loaded (nothing dropped or renamed on the way)", () => {
    const m = createFixtureMachine();
    m.loadState(fixture.state);
    const again = m.saveState();
    expect(Object.keys(again.fields).sort()).toEqual(Object.keys(fixture.state.fields).sort());
    expect(again.fields.ram).toEqual(fixture.state.fields.ram);
  });
});
