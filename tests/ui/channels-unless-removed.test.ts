import { describe, expect, it } from "vitest";
import { channelsUnlessRemoved, REMOVED, type ChannelSource } from "../../src/ui/channels-unless-removed.ts";
import type { VmChannels } from "../../src/hypervisor/shared-layout.ts";

const someChannels = { control: new SharedArrayBuffer(8) } as unknown as VmChannels;

/** A hypervisor that knows `vms`; asking for an unknown VM fails as the real one does. */
function hypervisorWith(vms: string[], channelsFail?: Error): ChannelSource {
  return {
    channels: async (id) => {
      if (channelsFail) throw channelsFail;
      if (!vms.includes(id)) throw new Error(`there is no VM "${id}"`);
      return someChannels;
    },
    list: async () => vms.map((id) => ({ id })),
  };
}

describe("channelsUnlessRemoved", () => {
  it("returns the channels of a listed VM", async () => {
    expect(await channelsUnlessRemoved(hypervisorWith(["vm1"]), "vm1")).toBe(someChannels);
  });

  it("says REMOVED for a VM removed since the list was taken, instead of failing", async () => {
    expect(await channelsUnlessRemoved(hypervisorWith(["vm1"]), "vm3")).toBe(REMOVED);
  });

  it("rethrows a failure for a VM that is still listed", async () => {
    const hv = hypervisorWith(["vm1"], new Error("channels: worker not answering"));
    await expect(channelsUnlessRemoved(hv, "vm1")).rejects.toThrow("channels: worker not answering");
  });

  it("rethrows the original failure when the list cannot be read either", async () => {
    const hv: ChannelSource = {
      channels: async () => {
        throw new Error("hypervisor worker gone");
      },
      list: async () => {
        throw new Error("list failed");
      },
    };
    await expect(channelsUnlessRemoved(hv, "vm1")).rejects.toThrow("hypervisor worker gone");
  });
});
