"use client";
// WhatsAppWindow.tsx - the composer of a WhatsApp service inside Meta's 24-hour customer-service
// window (docs/desk.md "The 24-hour window"): while it is open, a quiet line above the composer
// ("WhatsApp window closes in 3 h 12 min", moving on each minute, louder in the last hour); once
// it is closed (windowClosesAt past, or the server refused free text: 409 outside_window or
// Meta's #131047) the composer stays in place but disabled (nothing typed is lost) under the
// `Outside WhatsApp's 24-hour window` panel, whose `Send template` sends the configured template
// (POST /desk/services/:id/template) and says pending / sent / why not. Other channels: the
// composer as it is.
import { useEffect, useState, type ReactNode } from "react";
import { useAppSelector } from "@/lib/hooks";
import { errorText } from "@/lib/api";
import { serverNow } from "@/lib/clock";
import { newClientMsgId } from "@/lib/ids";
import type { Service } from "@/lib/types";
import form from "@/components/form.module.css";
import { selectDesk } from "./deskSlice";
import { nextWindowTick, templateErrorText, windowLine, windowState, WINDOW_SOON_MS } from "./whatsapp";
import { useSendTemplateMutation } from "./whatsappApi";
import styles from "./WhatsApp.module.css";

/** The server's time (lib/clock.ts), moved on when the window's line changes (each minute left,
 * and the close). */
function useWindowClock(closesAt: number | null | undefined): number {
  const [clock, setClock] = useState(() => ({ now: serverNow(), of: closesAt }));
  useEffect(() => {
    const left = (closesAt ?? 0) - clock.now;
    // a new closesAt (the customer wrote): read the time again at once
    const delay = clock.of !== closesAt ? 0 : left > 0 ? nextWindowTick(left) + 20 : -1;
    if (delay < 0 || delay > 2 ** 31 - 1) return;
    const t = setTimeout(() => setClock({ now: serverNow(), of: closesAt }), delay);
    return () => clearTimeout(t);
  }, [closesAt, clock]);
  return clock.now;
}

export default function WhatsAppWindow({ service, children }: { service: Service; children: ReactNode }) {
  const refusedAt = useAppSelector(selectDesk).windowRefused[service.id];
  const now = useWindowClock(service.windowClosesAt);
  const w = windowState(service, now, refusedAt);
  if (w.kind === "none") return <>{children}</>;
  return (
    <>
      {w.kind === "open" ? (
        <p className={styles.windowLine} data-soon={w.leftMs < WINDOW_SOON_MS || undefined}>
          {windowLine(w.leftMs)}
        </p>
      ) : (
        <TemplatePanel serviceId={service.id} />
      )}
      <fieldset className={styles.fieldset} disabled={w.kind === "closed"}>
        {children}
      </fieldset>
    </>
  );
}

function TemplatePanel({ serviceId }: { serviceId: number }) {
  const [send, state] = useSendTemplateMutation();
  // one clientMsgId per template: a retry after a lost answer is stored once
  const [clientMsgId, setClientMsgId] = useState(newClientMsgId);
  const code = (state.error as { data?: { error?: { code?: string } } } | undefined)?.data?.error?.code;
  const head = `wa-closed-${serviceId}`;
  return (
    <section className={styles.closed} aria-labelledby={head}>
      <div className={styles.closedText}>
        <h2 id={head} className={styles.closedHead}>Outside WhatsApp&apos;s 24-hour window</h2>
        <p>
          The customer wrote more than 24 hours ago. WhatsApp lets a business send only an approved template message now;
          once the customer answers, you can write freely again.
        </p>
      </div>
      <div className={styles.closedActions}>
        <button
          type="button"
          className={form.primary}
          disabled={state.isLoading}
          onClick={async () => {
            const r = await send({ serviceId, clientMsgId });
            if ("data" in r) setClientMsgId(newClientMsgId());
          }}
        >
          Send template
        </button>
        <p role="status" className={styles.templateState}>
          {state.isLoading ? "Sending the template…" : state.isSuccess ? "Template sent. Write again when the customer answers." : ""}
        </p>
        {state.isError ? (
          <p role="alert" className={form.error}>
            {templateErrorText(code, errorText(state.error))}
          </p>
        ) : null}
      </div>
    </section>
  );
}
