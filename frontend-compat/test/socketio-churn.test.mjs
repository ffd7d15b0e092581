// socketio-churn.test.mjs - clients that go away at the worst moments: during an asynchronous
// middleware, with server-side acks and broadcast acks still pending, in the middle of a binary
// packet, right after a burst of emits; and a server stopped with timers and acks pending. The
// server must keep serving (checked with a fresh client after each storm) and, under the
// sanitizer build, exit 0 without leaks or memory errors (stop() asserts the exit status).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Socket as EngineSocket } from 'engine.io-client';
import { startServer, TRANSPORTS, Clients, once, ack, ack1, T, sleep, waitFor } from './lib/sio.mjs';

let srv;
before(async () => {
    srv = await startServer(['--echo', '--echo-extras']);
});
after(() => srv.stop());

async function stillServing(c) {
    const s = await c.connect('/', TRANSPORTS[1]);
    assert.deepEqual(await ack(s, 'message-with-ack', 'alive'), ['alive']);
    s.disconnect();
}

for (const tr of TRANSPORTS) {
    describe(`churn [${tr.name}]`, () => {
        let c;
        before(() => (c = new Clients(srv.url)));
        after(() => c.close());

        it('clients leaving during the /async-mw middleware', async () => {
            const list = Array.from({ length: 40 }, () => c.socket('/async-mw', tr, { reconnection: false }));
            await Promise.all(
                list.map(async (s, i) => {
                    await sleep(i % 8 * 10);
                    if (s.io.engine) s.io.engine.close();
                }),
            );
            await sleep(150);
            await stillServing(c);
        });

        it('clients leaving with emit-with-ack and broadcast-with-ack pending', async () => {
            const list = await c.connectMany(20, '/', tr, { reconnection: false });
            await Promise.all(list.map((s) => ack(s, 'join', 'churn')));
            list.forEach((s, i) => {
                s.on('never', () => {});
                s.emit('emit-with-ack', { event: 'never', args: [i], timeout: 300 }, () => {});
                s.emit('broadcast-with-ack', { event: 'never', args: [i], rooms: ['churn'], timeout: 300 }, () => {});
                s.emit('fetch-sockets', { rooms: ['churn'] }, () => {});
            });
            await sleep(20);
            list.forEach((s, i) => (i % 2 ? s.disconnect() : s.io.engine.close()));
            await sleep(500);
            await stillServing(c);
        });

        it('a client that leaves in the middle of a binary packet', async () => {
            const agent = new http.Agent({ keepAlive: false });
            try {
                for (let k = 0; k < 5; k++) {
                    const sock = new EngineSocket(srv.url, { path: '/socket.io/', agent, transports: tr.opts.transports, upgrade: tr.opts.upgrade !== false });
                    const inbox = [];
                    sock.on('message', (m) => inbox.push(m));
                    await once(sock, 'open');
                    sock.send('0');
                    await waitFor(() => inbox.some((m) => typeof m === 'string' && m.startsWith('0{')), 'CONNECT');
                    // announces two attachments, sends one, then goes away
                    sock.send('52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
                    sock.send(Buffer.from([1, 2, 3]));
                    await sleep(20);
                    sock.close();
                }
            } finally {
                agent.destroy();
            }
            await sleep(100);
            await stillServing(c);
        });

        it('a burst of emits and broadcasts, then every client leaves at once', async () => {
            const list = await c.connectMany(30, '/custom', tr, { reconnection: false });
            for (const [i, s] of list.entries()) {
                for (let k = 0; k < 20; k++) s.emit('message', i, k, Buffer.alloc(64, k));
                s.emit('broadcast', { event: 'noise', args: [i, 'x'.repeat(1000)], includeSelf: true });
            }
            list.forEach((s) => s.io.engine.close());
            await sleep(200);
            await stillServing(c);
            const observer = await c.connect('/custom', TRANSPORTS[1]);
            await waitFor(async () => (await ack1(observer, 'fetch-sockets', {})).length === 1, 'every churned socket to be gone');
            observer.disconnect();
        });

        it('sockets disconnected by the server while their own acks are pending', async () => {
            const list = await c.connectMany(10, '/', tr, { reconnection: false });
            await Promise.all(list.map((s) => ack(s, 'join', 'kick')));
            list.forEach((s) => {
                s.on('q', () => {});
                s.emit('emit-with-ack', { event: 'q', args: [], timeout: 300 }, () => {});
            });
            const kicker = await c.connect('/', tr);
            kicker.emit('disconnect-sockets', { rooms: ['kick'], close: true });
            await waitFor(() => list.every((s) => !s.connected), 'the kicked sockets');
            await sleep(400);
            await stillServing(c);
            kicker.disconnect();
        });
    });
}

describe('stopping a busy server', () => {
    it('SIGTERM with connected clients, pending acks, broadcast acks and middlewares: exit 0', async () => {
        const busy = await startServer(['--echo', '--echo-extras', '--recovery']);
        const c = new Clients(busy.url);
        try {
            for (const tr of TRANSPORTS) {
                const list = await c.connectMany(10, '/', tr, { reconnection: false });
                await Promise.all(list.map((s) => ack(s, 'join', 'busy')));
                list.forEach((s, i) => {
                    s.on('never', () => {});
                    s.emit('emit-with-ack', { event: 'never', args: [i], timeout: 10000 }, () => {});
                    s.emit('broadcast-with-ack', { event: 'never', args: [], rooms: ['busy'], timeout: 10000 }, () => {});
                    s.emit('broadcast', { event: 'x', args: [i], rooms: ['busy'] });
                });
                for (let k = 0; k < 5; k++) c.socket('/async-mw', tr, { reconnection: false });
            }
            // one recoverable session waiting to be restored
            const gone = await c.connect('/', TRANSPORTS[1], { reconnection: false });
            await ack(gone, 'join', 'busy');
            gone.io.engine.close();
            await sleep(100);
            const stopped = busy.stop();
            await stopped;
        } finally {
            c.close();
        }
    });
});
