// Create-VM dialog: a guest from the manifest or a local ISO/IMG file (as floppy, CD or disk), RAM,
// CPU share and cap, cards. A refusal (RAM budget, taken card) is shown in the dialog.

import { useEffect, useState } from "react";
import { defaultCardKinds, guessMedia, HOST_CARD_TYPES, MEDIA_CARD_TYPES, hostCardMemoryMiB } from "../emulator/cards/registry.ts";
import type { HostInfo, MediaKind, VmConfig } from "../hypervisor/hypervisor-api.ts";
import { Comlink, hypervisor } from "./hypervisor-client.ts";

const LOCAL = "__local__";
/** The image files the picker offers: every name ending a bootable card takes. */
const ACCEPT = [...new Set(MEDIA_CARD_TYPES.flatMap((t) => t.boot.media.accept))].map((e) => `.${e}`).join(",");
/** What cards cost in host memory beyond RAM, e.g. "a VGA display adds 16 MiB". */
const CARD_MEMORY_NOTE = HOST_CARD_TYPES.filter((t) => hostCardMemoryMiB(t.type) > 0)
  .map((t) => `a ${t.name} adds ${hostCardMemoryMiB(t.type)} MiB`)
  .join(", ");

export function CreateVmDialog(props: { host: HostInfo | null; onClose(): void; onCreated(): void }) {
  const catalog = props.host?.catalog ?? [];
  const [guest, setGuest] = useState(catalog[0]?.id ?? LOCAL);
  const [name, setName] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [media, setMedia] = useState<MediaKind>(MEDIA_CARD_TYPES[0].boot.device);
  const [mem, setMem] = useState(catalog[0]?.memoryMiB ?? 32);
  const [share, setShare] = useState(100);
  const [cap, setCap] = useState(100);
  const freeCards = (props.host?.ledger.cards ?? []).filter((c) => c.owner === null);
  const [cards, setCards] = useState<string[]>(() => {
    const pick: string[] = [];
    for (const kind of defaultCardKinds()) {
      const c = freeCards.find((x) => x.kind === kind);
      if (c) pick.push(c.id);
    }
    return pick;
  });
  // Until the user picks cards, a display card and an input card that are free when the VM is
  // created are used: the host info the dialog opened with may be a refresh out of date.
  const [cardsPicked, setCardsPicked] = useState(false);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const g = catalog.find((x) => x.id === guest);
    if (g) setMem(g.memoryMiB);
  }, [guest]); // eslint-disable-line react-hooks/exhaustive-deps

  const submit = async () => {
    setError("");
    setBusy(true);
    try {
      let config: VmConfig;
      const chosen = cardsPicked ? cards : await hypervisor().freeCards(defaultCardKinds());
      const base = { memoryMiB: mem, share, capPercent: cap, cards: chosen };
      if (guest === LOCAL) {
        if (!file) throw new Error("choose an image file");
        const bytes = new Uint8Array(await file.arrayBuffer());
        config = { ...base, name: name || file.name, guest: { kind: "upload", fileName: file.name, media, bytes } };
        await hypervisor().createVm(Comlink.transfer(config, [bytes.buffer]), true);
      } else {
        const g = catalog.find((x) => x.id === guest);
        config = { ...base, name: name || g?.name || guest, guest: { kind: "catalog", guestId: guest } };
        await hypervisor().createVm(config, true);
      }
      props.onCreated();
      props.onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-label="Create VM" data-testid="create-dialog">
        <h2>Create VM</h2>
        <label>Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="(from the guest)" data-testid="create-name" /></label>
        <label>
          Guest
          <select value={guest} onChange={(e) => setGuest(e.target.value)} data-testid="create-guest">
            {catalog.map((g) => <option key={g.id} value={g.id}>{g.name} ({g.boot})</option>)}
            <option value={LOCAL}>Local ISO/IMG file…</option>
          </select>
        </label>
        {guest === LOCAL && (
          <>
            <label>Image <input type="file" accept={ACCEPT} data-testid="create-file" onChange={(e) => {
              const f = e.target.files?.[0] ?? null;
              setFile(f);
              if (f) setMedia(guessMedia(f.name, f.size));
            }} /></label>
            <label>
              Attach as
              <select value={media} onChange={(e) => setMedia(e.target.value as MediaKind)} data-testid="create-media">
                {MEDIA_CARD_TYPES.map((t) => <option key={t.boot.device} value={t.boot.device}>{t.boot.media.label}</option>)}
              </select>
            </label>
          </>
        )}
        <label>RAM (MiB) <input type="number" min={1} max={3072} value={mem} onChange={(e) => setMem(Number(e.target.value))} data-testid="create-ram" /></label>
        <label>CPU share <input type="number" min={1} max={1000} value={share} onChange={(e) => setShare(Number(e.target.value))} data-testid="create-share" /></label>
        <label>CPU cap % <input type="number" min={1} max={100} value={cap} onChange={(e) => setCap(Number(e.target.value))} /></label>
        <fieldset>
          <legend>Cards</legend>
          {freeCards.map((c) => (
            <label key={c.id} className="card-pick">
              <input type="checkbox" checked={cards.includes(c.id)} onChange={() => {
                setCardsPicked(true);
                setCards(cards.includes(c.id) ? cards.filter((x) => x !== c.id) : [...cards, c.id]);
              }} />
              {c.label}
            </label>
          ))}
        </fieldset>
        <p className="muted">Host RAM: {props.host ? `${props.host.ledger.freeMiB} MiB free of ${props.host.ledger.budgetMiB} MiB` : "…"} {CARD_MEMORY_NOTE && `(${CARD_MEMORY_NOTE})`}</p>
        {error && <div className="reason error" role="alert" data-testid="create-error">{error}</div>}
        <div className="editor-actions">
          <button disabled={busy} onClick={() => void submit()} data-testid="create-submit">Create and start</button>
          <button onClick={props.onClose}>Cancel</button>
        </div>
      </div>
    </div>
  );
}
