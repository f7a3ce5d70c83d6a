// Writes tests/state/fixtures/freedos-<release>.state.gz: the FreeDOS machine (fixture-machine.ts)
// booted to A:\>, after "ver" has answered, saved with Machine.saveState() in the state-file encoding
// (state-file.ts). Rerun by each release whose state must stay loadable:
//   HYPERTAB_GUESTS=/path/to/shared/guests npx tsx tests/state/make-fixture.ts <release-name>

import { writeFileSync } from "node:fs";
import { execSync } from "node:child_process";
import { screen, runUntilScreen, type } from "../machine/firmware-helpers.ts";
import { createFixtureMachine, versionAnswered, fixtureConfig, fixtureImageSha256, FIXTURE_IMAGE, FIXTURE_MEMORY_MIB, sha256 } from "./fixture-machine.ts";
import { encodeStateFile } from "./state-file.ts";

const release = process.argv[2];
if (!release || !/^[\w.-]+$/.test(release)) {
  console.error("usage: tsx tests/state/make-fixture.ts <release-name>");
  process.exit(64);
}

const config = fixtureConfig();
const m = createFixtureMachine(config);
runUntilScreen(m, "A:\\>");
type(m, "ver\r");
runUntilScreen(m, versionAnswered(m));
const state = m.saveState();
const about = {
  release,
  commit: execSync("git rev-parse HEAD").toString().trim(),
  image: { name: FIXTURE_IMAGE, sha256: fixtureImageSha256() },
  bios: { name: "bios.bin", sha256: sha256(config.bios!) },
  vgaBios: { name: "vgabios-stdvga.bin", sha256: sha256(config.vgaBios!) },
  memoryMiB: FIXTURE_MEMORY_MIB,
  ran: 'booted to A:\\>, typed "ver", waited for the prompt',
  instructions: m.cpu.instructionCount,
  screen: screen(m),
};
const bytes = encodeStateFile(state, about);
const out = new URL(`fixtures/freedos-${release}.state.gz`, import.meta.url).pathname;
writeFileSync(out, bytes);
console.log(`${out}: ${bytes.length} bytes, ${m.cpu.instructionCount} instructions\n${screen(m)}`);
