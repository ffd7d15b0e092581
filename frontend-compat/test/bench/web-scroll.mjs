// web-scroll.mjs - (benchmark, not run by scripts/test) the chat page with 10,000 messages of
// history: seeds them over REST, opens the chat in chromium, scrolls up until 2,000 are loaded
// (older pages through the REST cursor), then scrolls through them frame by frame and reports
// frame times (p50 / p95 / max, frames over 50 ms) and how many message elements the page holds
// (the list is virtualized: it should stay small whatever the history).
// SIOC_BIN=build/sioc node frontend-compat/test/bench/web-scroll.mjs
import { registerIn, startWeb } from "../lib/web.mjs";
import { request } from "../lib/http.mjs";

const N = Number(process.env.SIOC_SCROLL_MESSAGES ?? 10000);
const env = await startWeb("sioc-webscroll-");
const post = async (path, token, body) => {
  const r = await request(env.server.url, { method: "POST", path, headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return JSON.parse(r.text);
};
const a = await registerIn(env.browser, env.server.url, "reader");
await registerIn(env.browser, env.server.url, "writer");
const auth = JSON.parse(await a.evaluate(() => localStorage.getItem("sioc.auth")));
const login = JSON.parse((await request(env.server.url, { method: "POST", path: "/v1/api/auth/login", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "writer", password: "password-123" }) })).text);
const chat = await post("/v1/api/chats/private", login.accessToken, { userId: auth.user.id });
const t0 = Date.now();
for (let i = 0; i < N; i += 50) {
  await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => post(`/v1/api/chats/${chat.id}/messages`, login.accessToken, { body: `message ${i + k + 1} ${"lorem ipsum dolor sit amet ".repeat((i + k) % 4)}` })));
}
console.log(`seeded ${N} messages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
await a.goto(`${env.server.url}/chat?c=${chat.id}`);
await a.getByRole("list", { name: "Messages" }).getByText(`message ${N} `, { exact: false }).waitFor();
const scroller = '[data-testid="virtuoso-scroller"]';
const loadStart = Date.now();
for (let k = 0; k < 400; k++) {
  await a.evaluate((s) => document.querySelector(s)?.scrollTo(0, 0), scroller);
  await a.waitForTimeout(60);
  const first = await a.evaluate(() => {
    const t = [...document.querySelectorAll('[aria-label="Messages"] [role="listitem"]')].map((e) => e.textContent ?? "");
    const m = t.map((x) => /message (\d+)/.exec(x)).filter(Boolean)[0];
    return m ? Number(m[1]) : 0;
  });
  if (first && first <= N - 2000) break;
}
console.log(`scrolled back to 2,000 messages in ${((Date.now() - loadStart) / 1000).toFixed(1)} s`);
const stats = await a.evaluate(async (s) => {
  const el = document.querySelector(s);
  const frames = [];
  let last = performance.now();
  el.scrollTop = el.scrollHeight;
  await new Promise((r) => requestAnimationFrame(r));
  for (let i = 0; i < 300; i++) {
    el.scrollTop -= 120;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    frames.push(now - last);
    last = now;
  }
  frames.sort((x, y) => x - y);
  return {
    p50: frames[150], p95: frames[285], max: frames[299], over50: frames.filter((f) => f > 50).length,
    nodes: document.querySelectorAll('[aria-label="Messages"] [role="listitem"]').length,
  };
}, scroller);
console.log(`300 scroll frames: p50 ${stats.p50.toFixed(1)} ms, p95 ${stats.p95.toFixed(1)} ms, max ${stats.max.toFixed(1)} ms, ${stats.over50} over 50 ms; ${stats.nodes} message elements in the page`);
await env.close();
