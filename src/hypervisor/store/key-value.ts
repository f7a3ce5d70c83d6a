// One IndexedDB object store as a small key-value interface (idb-keyval, one database per store as
// its createStore makes them). The snapshot store is written against this interface so tests can
// wrap it (a simulated quota error) without a browser.

import { createStore, del, delMany, entries, get, keys, setMany, type UseStore } from "idb-keyval";

export interface KeyValueStore<V> {
  get(key: string): Promise<V | undefined>;
  /** Atomic: all entries are written, or none (one IndexedDB transaction). */
  setMany(entries: [string, V][]): Promise<void>;
  del(key: string): Promise<void>;
  delMany(keys: string[]): Promise<void>;
  keys(): Promise<string[]>;
  entries(): Promise<[string, V][]>;
}

/** Opens (creating on first use) the store `name` in database `${prefix}-${name}`. */
export type KeyValueFactory = <V>(name: string) => KeyValueStore<V>;

export function idbKeyValue(prefix: string): KeyValueFactory {
  return <V>(name: string): KeyValueStore<V> => {
    const store: UseStore = createStore(`${prefix}-${name}`, name);
    return {
      get: (key) => get<V>(key, store),
      setMany: (list) => (list.length ? setMany(list, store) : Promise.resolve()),
      del: (key) => del(key, store),
      delMany: (list) => (list.length ? delMany(list, store) : Promise.resolve()),
      keys: () => keys<string>(store),
      entries: () => entries<string, V>(store),
    };
  };
}
