// ContactLinks.tsx - the conversation header's way to reach a WhatsApp customer outside the desk:
// their number, `Call` (tel:+<number>, the device's phone app) and `WhatsApp` (https://wa.me/
// <number> in a new tab: WhatsApp Web or the app). Nothing for a customer without a number (the
// web widget's).
import type { Service } from "@/lib/types";
import { contactOf } from "./whatsapp";
import styles from "./WhatsApp.module.css";

export default function ContactLinks({ service }: { service: Service }) {
  const c = contactOf(service.customer.phone);
  if (!c) return null;
  return (
    <span className={styles.contact}>
      <span className={styles.number}>{c.number}</span>
      <a className={styles.contactLink} href={c.tel} title={`Call ${c.number}`}>
        <span aria-hidden>☎</span>Call
      </a>
      <a className={styles.contactLink} href={c.wa} target="_blank" rel="noopener noreferrer" title={`Open a WhatsApp chat with ${c.number}`}>
        <span aria-hidden>↗</span>WhatsApp
      </a>
    </span>
  );
}
