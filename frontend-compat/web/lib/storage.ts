// storage.ts - JSON values in localStorage (tokens, the outbox, the theme), with an in-memory
// fallback where there is none (unit tests under node, private windows that refuse storage).
const memory = new Map<string, string>();

function backend(): Pick<Storage, "getItem" | "setItem" | "removeItem"> {
  try {
    if (typeof window !== "undefined" && window.localStorage) return window.localStorage;
  } catch {
    /* storage disabled: fall through */
  }
  return {
    getItem: (k) => memory.get(k) ?? null,
    setItem: (k, v) => void memory.set(k, v),
    removeItem: (k) => void memory.delete(k),
  };
}

export function load<T>(key: string, fallback: T): T {
  try {
    const raw = backend().getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

export function save(key: string, value: unknown): void {
  try {
    if (value === null || value === undefined) backend().removeItem(key);
    else backend().setItem(key, JSON.stringify(value));
  } catch {
    /* quota or disabled storage: the app keeps working from memory */
  }
}
