// budget.mjs - first-load JavaScript of the chat page: the gzip size of every script chunk that
// out/chat.html loads, against the 240 KiB budget. Exit status 1 when over (or not built).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "out");
const BUDGET_KIB = 240;
const html = fs.readFileSync(path.join(out, "chat.html"), "utf8");
const srcs = new Set([...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)].map((m) => m[1]));
let total = 0;
for (const src of srcs) {
  const gz = zlib.gzipSync(fs.readFileSync(path.join(out, src.replace(/^\//, "")))).length;
  total += gz;
  console.log(`${(gz / 1024).toFixed(1).padStart(7)} KiB  ${src}`);
}
const kib = total / 1024;
console.log(`first-load JS of /chat: ${kib.toFixed(1)} KiB gzip in ${srcs.size} chunks (budget ${BUDGET_KIB} KiB)`);
process.exit(kib <= BUDGET_KIB ? 0 : 1);
