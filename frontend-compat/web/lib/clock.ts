// clock.ts - the server's time as the page best knows it. Times from the server (a service's
// createdAt, a WhatsApp window's windowClosesAt, lastInboundAt) are compared with serverNow(),
// not with the device's clock, which may be off by minutes or hours: every API answer's `Date`
// header (whole seconds) gives the offset, taken only when it is larger than what the second's
// rounding and the round trip can explain, so a clock that is right stays untouched.
let offsetMs = 0;

/** The server's time now (ms since the epoch). */
export function serverNow(): number {
  return Date.now() + offsetMs;
}

/** The current estimate of server time minus device time (ms). */
export function serverOffset(): number {
  return offsetMs;
}

/** Learns from one answer: its `Date` header, and the device's times around the request. Round
 * trips over 5 s say nothing. Returns the offset now in use. */
export function noteServerDate(date: string | null | undefined, sentAt: number, receivedAt: number): number {
  const server = date ? Date.parse(date) : NaN;
  const rtt = receivedAt - sentAt;
  if (!Number.isFinite(server) || rtt < 0 || rtt > 5000) return offsetMs;
  // the server stamped some moment of [server, server + 1 s) between sentAt and receivedAt
  const estimate = server + 500 - (sentAt + receivedAt) / 2;
  const slack = 500 + rtt / 2 + 250;
  offsetMs = Math.abs(estimate) <= slack ? 0 : Math.round(estimate);
  return offsetMs;
}

/** Tests: forget what was learnt. */
export function resetServerClock() {
  offsetMs = 0;
}
