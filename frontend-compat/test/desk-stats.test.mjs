// desk-stats.test.mjs - the dashboard figures (GET /v1/api/desk/stats and stats.csv) of a seeded
// period equal the figures counted by hand from the services themselves: services opened,
// finished and still open in the period, first-response and resolution times, and ratings
// (average and 1-5 counts), overall, per attendant and for the never-assigned; a period before
// the seed is all zero, a period cut between two services counts only the first ones, and the
// CSV says the same as the JSON.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { emitAck, sleep } from "./lib/chat.mjs";
import { api, backends, staff, startDesk, support, visitor } from "./lib/desk.mjs";

for (const backend of backends()) {
  describe(`desk dashboard figures (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startDesk(backend);
    });
    after(async () => {
      await server?.stop();
    });

    test("the stats of a seeded period equal the hand-counted figures", async () => {
      const admin = server.admin.token;
      const a = await staff(server);
      const b = await staff(server);
      const t0 = Date.now() - 1;
      await sleep(5);
      // plan: [taker, answers?, finishes?, rating]
      const plan = [
        [a, true, true, 4],
        [b, true, true, 2],
        [a, false, false, 0],
        [null, false, false, 0],
        [a, true, true, 0],
      ];
      const sids = [];
      for (const [who, answer, finish, rating] of plan) {
        const v = await visitor(server);
        const s = await support(server, v.visitorToken);
        const m = await emitAck(s.socket, "message:send", { body: "help me" });
        const sid = m.message.serviceId;
        sids.push(sid);
        if (who) assert.equal((await api(server, "POST", `/v1/api/desk/services/${sid}/take`, { token: who.token })).status, 200);
        await sleep(3);
        if (answer) assert.equal((await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, { token: who.token, body: { body: "on it" } })).status, 201);
        await sleep(3);
        if (finish) assert.equal((await api(server, "POST", `/v1/api/desk/services/${sid}/finish`, { token: who.token })).status, 200);
        if (rating) assert.equal((await emitAck(s.socket, "rating:submit", { serviceId: sid, rating })).ok, true);
        s.socket.close();
        await sleep(5);
      }
      const t1 = Date.now() + 1;
      const svcs = [];
      for (const sid of sids) svcs.push((await api(server, "GET", `/v1/api/desk/services/${sid}`, { token: admin })).json.service);

      // hand count from the services' own times
      const count = (list, from, to) => {
        const inP = (t) => t !== null && t >= from && t < to;
        const opened = list.filter((s) => inP(s.createdAt));
        const finished = list.filter((s) => inP(s.finishedAt));
        const fr = opened.filter((s) => s.firstResponseAt !== null);
        const rated = finished.filter((s) => s.rating !== null);
        const avg = (xs) => (xs.length ? xs.reduce((x, y) => x + y, 0) / xs.length : null);
        const counts = {};
        for (let k = 1; k <= 5; k++) counts[k] = rated.filter((s) => s.rating === k).length;
        return {
          opened: opened.length,
          finished: finished.length,
          open: list.filter((s) => s.createdAt < to && (s.finishedAt === null || s.finishedAt >= to)).length,
          firstResponse: { avgMs: avg(fr.map((s) => s.firstResponseAt - s.createdAt)), count: fr.length },
          resolution: { avgMs: avg(finished.map((s) => s.finishedAt - s.createdAt)), count: finished.length },
          rating: { avg: avg(rated.map((s) => s.rating)), count: rated.length, counts },
        };
      };
      const same = (got, want, what) => {
        for (const k of ["opened", "finished", "open"]) assert.equal(got[k], want[k], `${what}.${k}`);
        for (const k of ["firstResponse", "resolution"]) {
          assert.equal(got[k].count, want[k].count, `${what}.${k}.count`);
          if (want[k].avgMs === null) assert.equal(got[k].avgMs, null, `${what}.${k}.avgMs`);
          else assert.ok(Math.abs(got[k].avgMs - want[k].avgMs) < 1e-6, `${what}.${k}.avgMs ${got[k].avgMs} vs ${want[k].avgMs}`);
        }
        assert.equal(got.rating.count, want.rating.count, `${what}.rating.count`);
        assert.equal(got.rating.avg, want.rating.avg, `${what}.rating.avg`);
        assert.deepEqual(got.rating.counts, want.rating.counts, `${what}.rating.counts`);
      };
      const by = (id) => svcs.filter((s) => s.attendantId === id);

      const r = await api(server, "GET", `/v1/api/desk/stats?from=${t0}&to=${t1}`, { token: admin });
      assert.equal(r.status, 200, r.text);
      const st = r.json;
      assert.equal(st.from, t0);
      assert.equal(st.to, t1);
      // the figures themselves, as planned
      assert.equal(st.totals.opened, 5);
      assert.equal(st.totals.finished, 3);
      assert.equal(st.totals.open, 2);
      assert.equal(st.totals.rating.avg, 3);
      assert.deepEqual(st.totals.rating.counts, { 1: 0, 2: 1, 3: 0, 4: 1, 5: 0 });
      same(st.totals, count(svcs, t0, t1), "totals");
      same(st.unassigned, count(by(null), t0, t1), "unassigned");
      assert.equal(st.unassigned.open, 1);
      const pa = st.attendants.find((x) => x.attendantId === a.id);
      const pb = st.attendants.find((x) => x.attendantId === b.id);
      assert.equal(st.attendants.length, 2);
      assert.equal(pa.username, a.username);
      same(pa, count(by(a.id), t0, t1), "attendant a");
      same(pb, count(by(b.id), t0, t1), "attendant b");
      assert.equal(pa.opened, 3);
      assert.equal(pa.finished, 2);
      assert.equal(pa.rating.avg, 4);

      // a period cut before the third service: the first two only
      const cut = svcs[2].createdAt;
      const early = (await api(server, "GET", `/v1/api/desk/stats?from=${t0}&to=${cut}`, { token: admin })).json;
      same(early.totals, count(svcs, t0, cut), "early totals");
      assert.equal(early.totals.opened, 2);
      assert.equal(early.totals.finished, 2);
      assert.equal(early.totals.open, 0);
      // a period before the seed: nothing
      const none = (await api(server, "GET", `/v1/api/desk/stats?from=${t0 - 100000}&to=${t0 - 50000}`, { token: admin })).json;
      assert.equal(none.totals.opened + none.totals.finished + none.totals.open, 0);
      assert.deepEqual(none.attendants, []);
      assert.equal(none.totals.rating.avg, null);

      // the CSV says the same
      const csv = await api(server, "GET", `/v1/api/desk/stats.csv?from=${t0}&to=${t1}`, { token: admin });
      assert.equal(csv.status, 200);
      assert.match(csv.headers["content-type"], /^text\/csv/);
      const rows = csv.text.trim().split("\r\n").map((l) => l.split(","));
      assert.equal(rows[0][0], "attendant_id");
      const col = (name) => rows[0].indexOf(name);
      const row = (id) => rows.find((x) => x[0] === id);
      const check = (cells, fig) => {
        assert.equal(Number(cells[col("opened")]), fig.opened);
        assert.equal(Number(cells[col("finished")]), fig.finished);
        assert.equal(Number(cells[col("open")]), fig.open);
        assert.equal(Number(cells[col("rating_count")]), fig.rating.count);
        for (let k = 1; k <= 5; k++) assert.equal(Number(cells[col(`rating_${k}`)]), fig.rating.counts[k]);
        if (fig.resolution.avgMs !== null) assert.ok(Math.abs(Number(cells[col("resolution_avg_ms")]) - fig.resolution.avgMs) < 0.001);
      };
      check(row("total"), st.totals);
      check(row(String(a.id)), pa);
      check(row(String(b.id)), pb);
      check(row("unassigned"), st.unassigned);
    });
  });
}
