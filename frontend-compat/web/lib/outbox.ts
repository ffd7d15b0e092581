// outbox.ts - the flush loop shared by the chat's outbox (features/messages) and the desk's
// (features/desk): send every pending item, oldest first, one at a time (acks keep the order);
// an item that got no answer stays pending and the loop tries again in 2 s while connected, or
// on the next connect. One loop at a time: a call while one runs waits for it, then runs again.
import type { ThunkAction, ThunkDispatch, UnknownAction } from "@reduxjs/toolkit";

export interface OutboxEntry {
  clientMsgId: string;
  status: "pending" | "failed";
}

export function outboxFlusher<S, I extends OutboxEntry>(o: {
  connected: () => boolean;
  items: (state: S) => I[];
  send: (dispatch: ThunkDispatch<S, unknown, UnknownAction>, item: I) => Promise<object>;
}): () => ThunkAction<Promise<void>, S, unknown, UnknownAction> {
  const inFlight = new Set<string>();
  let flushing: Promise<void> | null = null;
  const flush = (): ThunkAction<Promise<void>, S, unknown, UnknownAction> => (dispatch, getState) => {
    if (flushing) return flushing.then(() => dispatch(flush()));
    flushing = (async () => {
      for (;;) {
        if (!o.connected()) return;
        const next = o.items(getState()).find((i) => i.status === "pending" && !inFlight.has(i.clientMsgId));
        if (!next) return;
        inFlight.add(next.clientMsgId);
        try {
          const res = await o.send(dispatch, next);
          if ("error" in res && o.items(getState()).some((i) => i.clientMsgId === next.clientMsgId && i.status === "pending")) {
            // no answer: try again soon if still connected, else on the next connect
            if (o.connected()) setTimeout(() => void dispatch(flush()), 2000);
            return;
          }
        } finally {
          inFlight.delete(next.clientMsgId);
        }
      }
    })().finally(() => {
      flushing = null;
    });
    return flushing;
  };
  return flush;
}
