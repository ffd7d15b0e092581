// whatsapp.mjs - helpers of the WhatsApp suites (test/whatsapp-*.test.mjs) on top of the desk's
// (lib/desk.mjs) and the simulator (sim/whatsapp.mjs): fresh customer numbers, a customer writing
// until the desk has the service, a service's detail, raw SQL on a server's store (set-up and
// checks only), and a sioc on a store that outlives it for the crash tests.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { api, staff, startDesk, until } from "./desk.mjs";
import { inbound, postWebhook, startMeta, waArgs, wamid } from "../sim/whatsapp.mjs";

let phoneSeq = 0;
/** A customer number (wa_id) no other test of this process uses. */
export const phone = () => `1555${process.pid % 1000}${String(++phoneSeq).padStart(4, "0")}`;

/** Runs SQL on the server's store; with `scalar`, returns the first column of the first row. */
export function sql(server, text, { scalar = false } = {}) {
  const url = server.dbUrl;
  const out = url.startsWith("sqlite:")
    ? execFileSync("sqlite3", ["-cmd", ".timeout 10000", url.slice(7), text], { stdio: "pipe" })
    : execFileSync("psql", ["-q", "-A", "-t", url, "-c", text], { stdio: "pipe" });
  return scalar ? out.toString().trim().split("\n")[0] : undefined;
}

export async function serviceOf(server, token, sid) {
  const r = await api(server, "GET", `/v1/api/desk/services/${sid}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** A customer writes `text` (message id `id`); resolves {service, from, id} once the desk has
 * the service and the message. */
export async function customerWrites(server, token, from, text = "Hello from WhatsApp", name = "Sheena Nelson", id = wamid()) {
  const r = await postWebhook(server, inbound({ from, name, id, type: "text", text: { body: text } }));
  assert.equal(r.status, 200, r.text);
  const service = await until(async () => {
    const l = await api(server, "GET", "/v1/api/desk/services?channel=whatsapp&status=open&limit=100", { token });
    const s = l.json.services.find((x) => x.customer.phone === `+${from}`);
    if (!s) return undefined;
    const d = await serviceOf(server, token, s.id);
    return d.messages.some((m) => m.clientMsgId === id) && d.service;
  });
  return { service, from, id };
}

/** A sioc on a store that outlives it, an attendant holding a WhatsApp customer's service. */
export async function crashSetup(backend) {
  const meta = await startMeta();
  const store = backend.url();
  const server = await startDesk(backend, waArgs(meta), { url: store.url, cleanup: () => {} });
  const att = await staff(server);
  att.server = server;
  const from = phone();
  const { service } = await customerWrites(server, att.token, from);
  await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} });
  return { meta, store, att, from, service };
}
