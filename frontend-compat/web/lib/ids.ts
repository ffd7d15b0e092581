// ids.ts - client message ids: 32 hex digits from the platform's CSPRNG (crypto.randomUUID is only
// there on secure origins; getRandomValues is everywhere).
export function newClientMsgId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
