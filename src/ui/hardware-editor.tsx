// Hardware editor for one VM: RAM, CPU share and cap, cards. Share and cap apply at once; RAM and
// cards need a restart (the editor says so).

import { useState } from "react";
import type { HostInfo, VmInfo } from "../hypervisor/hypervisor-api.ts";
import { hypervisor } from "./hypervisor-client.ts";

export function HardwareEditor(props: { vm: VmInfo; host: HostInfo | null; others: VmInfo[]; act: (what: string, fn: () => Promise<unknown>) => void; onClose(): void }) {
  const { vm, host } = props;
  const [mem, setMem] = useState(vm.memoryMiB);
  const [share, setShare] = useState(vm.share);
  const [cap, setCap] = useState(vm.capPercent);
  const [cards, setCards] = useState(vm.cards.map((c) => c.id));
  const live = vm.state === "running" || vm.state === "paused";
  const available = (host?.ledger.cards ?? []).filter((c) => c.owner === null || c.owner === vm.id);
  const toggle = (id: string) => setCards(cards.includes(id) ? cards.filter((c) => c !== id) : [...cards, id]);
  const memChanged = mem !== vm.memoryMiB;
  const cardsChanged = [...cards].sort().join() !== vm.cards.map((c) => c.id).sort().join();
  return (
    <div className="editor" data-testid={`editor-${vm.id}`}>
      <label>RAM (MiB) <input type="number" min={1} max={3072} value={mem} onChange={(e) => setMem(Number(e.target.value))} />{live && memChanged && <em className="restart">needs restart</em>}</label>
      <label>CPU share <input type="number" min={1} max={1000} value={share} onChange={(e) => setShare(Number(e.target.value))} /><em className="live">live</em></label>
      <label>CPU cap % <input type="number" min={1} max={100} value={cap} onChange={(e) => setCap(Number(e.target.value))} /><em className="live">live</em></label>
      <fieldset>
        <legend>Cards {live && cardsChanged && <em className="restart">needs restart</em>}</legend>
        {available.map((c) => (
          <label key={c.id} className="card-pick"><input type="checkbox" checked={cards.includes(c.id)} onChange={() => toggle(c.id)} />{c.label}</label>
        ))}
      </fieldset>
      {vm.cards.length > 0 && props.others.length > 0 && (
        <MoveCard vm={vm} others={props.others} act={props.act} />
      )}
      <div className="editor-actions">
        <button
          onClick={() =>
            props.act(`reconfigure ${vm.id}`, async () => {
              await hypervisor().reconfigure(vm.id, { memoryMiB: mem, share, capPercent: cap, cards });
              props.onClose();
            })
          }
        >
          Apply
        </button>
        <button onClick={props.onClose}>Close</button>
      </div>
    </div>
  );
}

function MoveCard(props: { vm: VmInfo; others: VmInfo[]; act: (what: string, fn: () => Promise<unknown>) => void }) {
  const [card, setCard] = useState(props.vm.cards[0]?.id ?? "");
  const [to, setTo] = useState(props.others[0]?.id ?? "");
  return (
    <div className="move-card">
      Move card
      <select value={card} onChange={(e) => setCard(e.target.value)}>{props.vm.cards.map((c) => <option key={c.id} value={c.id}>{c.id}</option>)}</select>
      to
      <select value={to} onChange={(e) => setTo(e.target.value)}>{props.others.map((o) => <option key={o.id} value={o.id}>{o.id} {o.name}</option>)}</select>
      <button onClick={() => props.act(`move ${card}`, () => hypervisor().moveCard(card, props.vm.id, to))}>Move</button>
    </div>
  );
}
