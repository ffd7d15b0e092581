// socketio-load.test.mjs - many concurrent clients: 300 socket.io clients connect at once (per
// transport configuration), each does an ack round trip, one broadcast reaches all of them, and
// they all disconnect cleanly (the server's socket list is empty again).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, ack, ack1, T, waitFor } from './lib/sio.mjs';

const N = 300;
let srv;
before(async () => {
    srv = await startServer(['--echo']);
});
after(() => srv.stop());

for (const tr of TRANSPORTS) {
    describe(`many clients [${tr.name}]`, () => {
        it(`${N} clients connect at once, each does an ack round trip, broadcasts reach all`, { timeout: T(120000) }, async () => {
            const c = new Clients(srv.url);
            try {
                const clients = await c.connectMany(N, '/custom', tr, { timeout: T(20000), reconnection: false });
                assert.equal(new Set(clients.map((s) => s.id)).size, N, 'distinct ids');
                const res = await Promise.all(clients.map((s, i) => ack(s, 'message-with-ack', i, { i, s: 'é'.repeat(i % 50) })));
                res.forEach((r, i) => assert.deepEqual(r, [i, { i, s: 'é'.repeat(i % 50) }]));
                const sockets = await ack1(clients[0], 'fetch-sockets', {});
                const ids = new Set(clients.map((s) => s.id));
                assert.equal(sockets.filter((x) => ids.has(x.id)).length, N);

                let got = 0;
                clients.forEach((s) => s.on('all', () => got++));
                await ack(clients[0], 'broadcast', { event: 'all', args: ['x'], includeSelf: true });
                await waitFor(() => got === N, `the broadcast on all ${N} clients (got ${got})`, T(20000));

                clients.forEach((s, i) => s.on('all-ack', (cb) => cb(i)));
                const acked = await ack1(clients[1], 'broadcast-with-ack', { event: 'all-ack', args: [], timeout: T(4000) });
                assert.equal(acked.err, null);
                assert.deepEqual(acked.responses.sort((a, b) => a - b), clients.map((_, i) => i).filter((i) => i !== 1));

                for (const s of clients) s.disconnect();
                const observer = await c.connect('/custom', TRANSPORTS[1]);
                await waitFor(async () => (await ack1(observer, 'fetch-sockets', {})).length === 1, 'every socket to be gone', T(20000), 100);
            } finally {
                c.close();
            }
        });
    });
}

describe('heartbeats under load', () => {
    let fast;
    before(async () => {
        fast = await startServer(['--echo', '--ping-interval', '300', '--ping-timeout', String(T(3000))]);
    });
    after(() => fast.stop());

    for (const tr of TRANSPORTS) {
        it(`[${tr.name}] 100 busy clients with a 300 ms ping interval: nobody is dropped`, { timeout: T(120000) }, async () => {
            const c = new Clients(fast.url);
            try {
                const clients = await c.connectMany(100, '/', tr, { timeout: T(20000), reconnection: false });
                const drops = [];
                clients.forEach((s, i) => s.on('disconnect', (r) => drops.push([i, r])));
                let received = 0;
                clients.forEach((s) => s.on('load', () => received++));
                const until = Date.now() + 2000;
                let rounds = 0;
                try {
                    while (Date.now() < until) {
                        await Promise.all(clients.map((s, i) => ack(s, 'message-with-ack', i, 'x'.repeat(200))));
                        await ack(clients[rounds % 100], 'broadcast', { event: 'load', args: [rounds], includeSelf: true });
                        rounds++;
                    }
                } catch (err) {
                    assert.fail(`${err.message}; dropped clients [index, reason]: ${JSON.stringify(drops)}`);
                }
                await waitFor(() => received === rounds * 100, 'every broadcast', T(20000));
                assert.deepEqual(drops, []);
                assert.ok(rounds >= 2, `only ${rounds} rounds`);
            } finally {
                c.close();
            }
        });
    }
});
