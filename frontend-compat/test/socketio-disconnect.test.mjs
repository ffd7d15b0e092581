// socketio-disconnect.test.mjs - disconnect reasons on both sides. The server side is read back
// through the echo app's `last-disconnects` ring from a second client: client disconnect ->
// "client namespace disconnect", disconnect-me(false/true) -> client "io server disconnect" and server
// "server namespace disconnect", a killed client engine -> "transport close", a frozen client
// process (SIGSTOP) -> "ping timeout"; plus the connect timeout and the payload limit.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Socket as EngineSocket } from 'engine.io-client';
import { startServer, TRANSPORTS, Clients, once, ack, T, sleep, sorted, disconnectOf } from './lib/sio.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

let srv;
before(async () => {
    srv = await startServer(['--echo']);
});
after(() => srv.stop());

for (const tr of TRANSPORTS) {
    describe(`disconnect reasons [${tr.name}]`, () => {
        let c, observer;
        before(async () => {
            c = new Clients(srv.url);
            observer = await c.connect('/', TRANSPORTS[1]);
        });
        after(() => c.close());

        it('client socket.disconnect(): server "client namespace disconnect" with the rooms', async () => {
            const s = await c.connect('/', tr);
            await ack(s, 'join', 'r1');
            await ack(s, 'join', 'r2');
            const id = s.id;
            const gone = once(s, 'disconnect');
            s.disconnect();
            assert.equal((await gone)[0], 'io client disconnect');
            const rec = await disconnectOf(observer, id);
            assert.equal(rec.reason, 'client namespace disconnect');
            assert.deepEqual(sorted(rec.rooms), sorted([id, 'r1', 'r2']));
            assert.equal(s.active, false);
        });

        it('client disconnect on /custom is recorded with the /custom socket id', async () => {
            const s = await c.connect('/custom', tr);
            const id = s.id;
            s.disconnect();
            const rec = await disconnectOf(observer, id);
            assert.equal(rec.reason, 'client namespace disconnect');
        });

        it('disconnect-me(false): client "io server disconnect", server "server namespace disconnect", the connection stays', async () => {
            const m = c.manager(tr);
            const a = m.socket('/');
            const b = m.socket('/custom');
            a.connect();
            b.connect();
            await Promise.all([once(a, 'connect'), once(b, 'connect')]);
            const id = a.id;
            const engineId = m.engine.id;
            const gone = once(a, 'disconnect');
            a.emit('disconnect-me', false);
            assert.equal((await gone)[0], 'io server disconnect');
            assert.equal(a.active, false, 'no automatic reconnection');
            const rec = await disconnectOf(observer, id);
            assert.equal(rec.reason, 'server namespace disconnect');
            // the other namespace of the same connection goes on
            assert.deepEqual(await ack(b, 'message-with-ack', 'b'), ['b']);
            assert.equal(m.engine.id, engineId);
            await sleep(100);
            assert.equal(a.connected, false);
            b.disconnect();
        });

        it('disconnect-me(true): client "io server disconnect" on every namespace; the connection closes', async () => {
            const m = c.manager(tr);
            const a = m.socket('/');
            const b = m.socket('/custom');
            a.connect();
            b.connect();
            await Promise.all([once(a, 'connect'), once(b, 'connect')]);
            const [ida, idb] = [a.id, b.id];
            const goneA = once(a, 'disconnect');
            const goneB = once(b, 'disconnect');
            const closed = once(m, 'close');
            a.emit('disconnect-me', true);
            assert.equal((await goneA)[0], 'io server disconnect');
            assert.equal((await goneB)[0], 'io server disconnect');
            await closed;
            assert.equal(a.active, false);
            assert.equal(b.active, false);
            assert.equal((await disconnectOf(observer, ida)).reason, 'server namespace disconnect');
            assert.equal((await disconnectOf(observer, idb)).reason, 'server namespace disconnect');
        });

        it('the client kills its engine: server "transport close" with the rooms', async () => {
            const s = await c.connect('/', tr, { reconnection: false });
            await ack(s, 'join', 'tc');
            const id = s.id;
            const gone = once(s, 'disconnect');
            s.io.engine.close();
            await gone;
            const rec = await disconnectOf(observer, id);
            assert.equal(rec.reason, 'transport close');
            assert.deepEqual(sorted(rec.rooms), sorted([id, 'tc']));
        });

        it('after "transport close" the client reconnects by itself with a new id', async () => {
            const s = await c.connect('/', tr);
            const id = s.id;
            const back = once(s, 'connect', T(5000));
            s.io.engine.close();
            await back;
            assert.notEqual(s.id, id);
            assert.ok(!s.recovered, 'nothing to recover without --recovery');
            assert.deepEqual(await ack(s, 'message-with-ack', 'again'), ['again']);
            assert.equal((await disconnectOf(observer, id)).reason, 'transport close');
            s.disconnect();
        });
    });
}

describe('heartbeat', () => {
    let fast, c;
    before(async () => {
        fast = await startServer(['--echo', '--ping-interval', '200', '--ping-timeout', '300', '--connect-timeout', '400']);
        c = new Clients(fast.url);
    });
    after(async () => {
        c.close();
        await fast.stop();
    });

    for (const tr of TRANSPORTS) {
        it(`[${tr.name}] a live client answers the pings and stays connected`, async () => {
            const s = await c.connect('/', tr);
            const engineId = s.io.engine.id;
            let pings = 0;
            s.io.on('ping', () => pings++);
            let dropped = false;
            s.on('disconnect', () => (dropped = true));
            await sleep(1500);
            assert.equal(dropped, false);
            assert.equal(s.io.engine.id, engineId);
            assert.ok(pings >= 3, `only ${pings} pings in 1.5 s with a 200 ms interval`);
            assert.deepEqual(await ack(s, 'message-with-ack', 1), [1]);
            s.disconnect();
        });

        it(`[${tr.name}] a frozen client process is dropped with "ping timeout"`, async () => {
            const observer = await c.connect('/', TRANSPORTS[1]);
            const script = `
                const { io } = require('socket.io-client');
                const s = io(process.argv[1], { transports: ${JSON.stringify(tr.opts.transports)}, upgrade: ${tr.opts.upgrade !== false}, forceNew: true, reconnection: false });
                s.on('connect', () => {
                    const report = () => process.stdout.write(s.id + '\\n');
                    if (${tr.name === 'upgrade'} && s.io.engine.transport.name !== 'websocket') s.io.engine.once('upgrade', report); else report();
                });`;
            const child = spawn(process.execPath, ['-e', script, fast.url], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
            try {
                const [line] = await once(child.stdout, 'data', T(10000));
                const id = String(line).trim();
                child.kill('SIGSTOP');
                const t0 = Date.now();
                const rec = await disconnectOf(observer, id, T(5000));
                assert.equal(rec.reason, 'ping timeout');
                assert.ok(Date.now() - t0 < T(2000), `dropped after ${Date.now() - t0} ms`);
            } finally {
                child.kill('SIGKILL');
                observer.disconnect();
            }
        });

        it(`[${tr.name}] an Engine.IO client that never sends CONNECT is closed after the connect timeout`, async () => {
            const sock = new EngineSocket(fast.url, { path: '/socket.io/', transports: tr.opts.transports, upgrade: tr.opts.upgrade !== false });
            try {
                await once(sock, 'open');
                const t0 = Date.now();
                const [reason] = await once(sock, 'close', T(5000));
                const took = Date.now() - t0;
                assert.ok(took >= 200, `closed after ${took} ms, well before the 400 ms connect timeout`);
                assert.ok(['transport close', 'transport error'].includes(reason), reason);
            } finally {
                sock.close();
            }
        });
    }
});

describe('payload limit (--max-http-buffer-size 10000)', () => {
    let small, c;
    before(async () => {
        small = await startServer(['--echo', '--max-http-buffer-size', '10000']);
        c = new Clients(small.url);
    });
    after(async () => {
        c.close();
        await small.stop();
    });

    for (const tr of TRANSPORTS) {
        it(`[${tr.name}] a message under the limit passes, one over it closes the connection`, async () => {
            const observer = await c.connect('/', TRANSPORTS[1]);
            const s = await c.connect('/', tr, { reconnection: false });
            assert.equal((await ack(s, 'message-with-ack', 'x'.repeat(5000)))[0].length, 5000);
            const id = s.id;
            const gone = once(s, 'disconnect', T(5000));
            s.emit('message', 'y'.repeat(50000));
            const [reason, details] = await gone;
            const rec = await disconnectOf(observer, id);
            if (tr.name === 'polling') {
                // the POST gets HTTP 413: the client fails its transport, then closes it
                assert.equal(reason, 'transport error');
                assert.equal(details && details.description, 413);
                assert.equal(rec.reason, 'transport close');
            } else {
                // the server ends the WebSocket on the oversized frame
                assert.equal(reason, 'transport close');
                assert.equal(rec.reason, 'transport error');
            }
            assert.deepEqual(await ack(observer, 'message-with-ack', 'fine'), ['fine']);
            observer.disconnect();
        });
    }
});
