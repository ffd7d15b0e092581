// WaMessage.tsx - the parts of a desk message that depend on its channel (used by MessageList):
// a WhatsApp body read back by parseWaBody (media as its caption under the file, or its label and
// the note when the file could not be kept; a location with an `Open <place> in a map` link; shared
// contacts with `Call <name>` links; the template as "Template message: NAME (LANG)"; a reaction)
// and the explanation under a message the channel failed to deliver (its error text and, for
// Meta's known codes, what it means).
import { deliveryError, parseWaBody } from "./whatsapp";
import desk from "./Desk.module.css";
import styles from "./WhatsApp.module.css";

export function WaBodyView({ body, withFiles }: { body: string; withFiles: boolean }) {
  const b = parseWaBody(body, withFiles);
  switch (b.kind) {
    case "media":
      return (
        <div className={desk.msgBody}>
          {!b.shown ? <span className={styles.tag}>{b.label}</span> : null}
          {b.caption ? <span>{!b.shown ? " " : ""}{b.caption}</span> : null}
          {b.note ? <span className={styles.note}>{b.note}</span> : null}
        </div>
      );
    case "location":
      return (
        <div className={`${desk.msgBody} ${styles.card}`}>
          <span className={styles.tag}><span aria-hidden>📍</span> Location</span>
          <span>{b.label}</span>
          <a href={b.map} target="_blank" rel="noopener noreferrer" aria-label={`Open ${b.label} in a map`}>
            Open in a map ({b.lat.toFixed(5)}, {b.lon.toFixed(5)})
          </a>
        </div>
      );
    case "contacts":
      return (
        <ul className={`${desk.msgBody} ${styles.card}`} aria-label="Shared contacts">
          {b.contacts.map((c, i) => (
            <li key={i}>
              <span className={styles.tag}><span aria-hidden>👤</span> {c.name}</span>
              {c.phone ? <> {c.tel ? <a href={c.tel} aria-label={`Call ${c.name}`}>{c.phone}</a> : c.phone}</> : null}
            </li>
          ))}
        </ul>
      );
    case "template":
      return (
        <div className={desk.msgBody}>
          <span className={styles.tag}>Template message:</span> {b.name}
        </div>
      );
    case "reaction":
      return (
        <div className={desk.msgBody}>
          <span className={styles.tag}>Reacted</span> {b.emoji}
        </div>
      );
    default:
      return b.text ? <div className={desk.msgBody}>{b.text}</div> : null;
  }
}

/** Under a failed message: the channel's error (live or stored: failureText) and what it means. */
export function DeliveryFailure({ error }: { error: string | undefined }) {
  if (!error) return <span className={styles.failure}>The channel could not deliver this message.</span>;
  const e = deliveryError(error);
  return (
    <span className={styles.failure}>
      {e.text}
      {e.hint ? <span className={styles.hint}>{e.hint}</span> : null}
    </span>
  );
}
