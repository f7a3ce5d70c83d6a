// A VM's console channels as the dashboard's refresh asks for them: the VM list it works from was
// taken a moment earlier, and a VM removed since (by the user, a test or another tab) is no longer
// known to the hypervisor. That is expected, not an error to show; any other failure is.

import type { VmChannels } from "../hypervisor/shared-layout.ts";

export const REMOVED = "removed";

export interface ChannelSource {
  channels(id: string): Promise<VmChannels | null>;
  list(): Promise<{ id: string }[]>;
}

/** The channels (null while the VM has none), or REMOVED when the VM is gone from the list. */
export async function channelsUnlessRemoved(hv: ChannelSource, id: string): Promise<VmChannels | null | typeof REMOVED> {
  try {
    return await hv.channels(id);
  } catch (e) {
    const listed = await hv.list().then((vms) => vms.some((v) => v.id === id), () => true);
    if (listed) throw e;
    return REMOVED;
  }
}
