// live.ts - follows socket events for one RTK Query cache entry (from its onCacheEntryAdded).
// The handlers are attached the moment the entry is added, not once its first fetch is done:
// an event that arrives while the fetch is in flight (a message stored after the server read
// the page, but announced before the page reached us) is held and applied once the data is
// there, so it is never lost. Handlers must be idempotent upserts (an event the page already
// holds is applied again). They are detached when the entry is removed.

/** What followEvents needs of a socket (the chat's, the desk's, the widget's, or a test fake):
 * their typed `on` overloads are called here with the handlers' own event names. */
export interface EventSource {
  on: unknown;
  off(event: string, fn?: (...args: never[]) => void): unknown;
}
type LooseOn = (event: string, fn: (payload: never) => void) => unknown;

export type EventHandlers = Record<string, (payload: never) => void>;

export async function followEvents(socket: EventSource, handlers: EventHandlers, loaded: Promise<unknown>, removed: Promise<unknown>) {
  let ready = false;
  const held: Array<() => void> = [];
  const attached = Object.entries(handlers).map(([event, fn]) => {
    const onEvent = (payload: never) => {
      if (ready) fn(payload);
      else held.push(() => fn(payload));
    };
    (socket.on as LooseOn).call(socket, event, onEvent);
    return [event, onEvent] as const;
  });
  try {
    await loaded;
    ready = true;
    for (const apply of held.splice(0)) apply();
    await removed;
  } catch {
    // the entry went away before its first fetch ended: nothing to update
  } finally {
    for (const [event, onEvent] of attached) socket.off(event, onEvent);
  }
}
