// socketio-eio3.test.mjs - a socket.io-client 2.x client (Engine.IO v3, package alias
// socket.io-client-v2) with --allow-eio3: connect to / and /custom, message -> message-back, acks
// both ways, binary; and without --allow-eio3 the connection is refused (connect_error).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import ioV2 from 'socket.io-client-v2';
import { startServer, TRANSPORTS, once, T, sleep, waitFor } from './lib/sio.mjs';

let eio3, eio4only;
before(async () => {
    [eio3, eio4only] = await Promise.all([startServer(['--echo', '--allow-eio3']), startServer(['--echo'])]);
});
after(() => Promise.all([eio3.stop(), eio4only.stop()]));

/** A pool of 2.x clients with their own agents. */
class V2Clients {
    constructor(url) {
        this.url = url;
        this.sockets = [];
        this.agents = [];
    }
    socket(nsp, tr, opts = {}) {
        const agent = new http.Agent({ keepAlive: false });
        this.agents.push(agent);
        const s = ioV2(this.url + nsp, { forceNew: true, agent, reconnection: false, timeout: T(5000), ...tr.opts, ...opts });
        this.sockets.push(s);
        return s;
    }
    async connect(nsp, tr, opts = {}) {
        const s = this.socket(nsp, tr, opts);
        s.authEcho = new Promise((resolve) => s.once('auth', resolve));
        await new Promise((resolve, reject) => {
            s.once('connect', resolve);
            s.once('connect_error', (e) => reject(new Error(`connect_error: ${e && (e.message || e)}`)));
        });
        if (tr.name === 'upgrade' && s.io.engine.transport.name !== 'websocket') await once(s.io.engine, 'upgrade', T(10000));
        return s;
    }
    close() {
        for (const s of this.sockets) {
            s.close();
            if (s.io.engine) s.io.engine.close();
        }
        for (const a of this.agents) a.destroy();
    }
}

const ackV2 = (s, event, ...args) =>
    new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), T(5000));
        s.emit(event, ...args, (...res) => {
            clearTimeout(timer);
            resolve(res);
        });
    });

for (const tr of TRANSPORTS) {
    describe(`socket.io-client 2.x over EIO3 [${tr.name}]`, () => {
        let c;
        before(() => (c = new V2Clients(eio3.url)));
        after(() => c.close());

        for (const nsp of ['/', '/custom']) {
            it(`${nsp}: connects, message -> message-back, message-with-ack`, async () => {
                const s = await c.connect(nsp, tr);
                assert.equal(s.connected, true);
                assert.equal(s.io.engine.transport.name, tr.name === 'polling' ? 'polling' : 'websocket');
                assert.deepEqual(await s.authEcho, {});
                const args = [1, 'two', { three: [3, null] }, 'é🎉', true];
                const back = once(s, 'message-back');
                s.emit('message', ...args);
                assert.deepEqual(await back, args);
                assert.deepEqual(await ackV2(s, 'message-with-ack', ...args), args);
                s.close();
            });
        }

        it('the namespace query string of a 2.x client is its auth payload', async () => {
            const s = await c.connect('/custom?token=abc&n=1', tr);
            assert.deepEqual(await s.authEcho, { token: 'abc', n: '1' });
            const [hs] = await ackV2(s, 'handshake');
            assert.deepEqual(hs.auth, { token: 'abc', n: '1' });
            s.close();
        });

        it('binary arguments round trip', async () => {
            const s = await c.connect('/', tr);
            const args = [Buffer.from([0, 1, 2, 255]), { nested: [Buffer.from('héllo')] }, 'text'];
            const back = once(s, 'message-back');
            s.emit('message', ...args);
            const got = await back;
            assert.ok(Buffer.from(got[0]).equals(args[0]));
            assert.ok(Buffer.from(got[1].nested[0]).equals(args[1].nested[0]));
            assert.equal(got[2], 'text');
            const acked = await ackV2(s, 'message-with-ack', ...args);
            assert.ok(Buffer.from(acked[0]).equals(args[0]));
            s.close();
        });

        it('the server emits with an ack and the 2.x client answers', async () => {
            const s = await c.connect('/', tr);
            s.once('question', (a, cb) => cb('answer', a * 2));
            const [res] = await ackV2(s, 'emit-with-ack', { event: 'question', args: [21], timeout: T(2000) });
            assert.deepEqual(res, { err: null, response: ['answer', 42] });
            s.close();
        });

        it('2.x and 4.x clients share rooms and broadcasts', async () => {
            const { io } = await import('socket.io-client');
            const agent = new http.Agent({ keepAlive: false });
            const v4 = io(eio3.url, { forceNew: true, agent, ...tr.opts });
            try {
                await once(v4, 'connect');
                const v2 = await c.connect('/', tr);
                const [rooms] = await ackV2(v2, 'join', 'mixed');
                assert.ok(rooms.includes('mixed'));
                const got = once(v2, 'mixed-news');
                await v4.timeout(T(5000)).emitWithAck('broadcast', { event: 'mixed-news', args: ['from v4', 1], rooms: ['mixed'] });
                assert.deepEqual(await got, ['from v4', 1]);
                v2.close();
            } finally {
                v4.disconnect();
                agent.destroy();
            }
        });

        it('disconnect reasons: server disconnect-me -> "io server disconnect"; client close -> "client namespace disconnect"', async () => {
            const observer = await c.connect('/', tr);
            const s = await c.connect('/', tr);
            const gone = once(s, 'disconnect');
            s.emit('disconnect-me', false);
            assert.equal((await gone)[0], 'io server disconnect');
            const s2 = await c.connect('/custom', tr);
            const [id2] = [s2.id];
            s2.close();
            const rec = await waitFor(async () => (await ackV2(observer, 'last-disconnects'))[0].find((d) => d.id === id2), 'the disconnect record');
            assert.equal(rec.reason, 'client namespace disconnect');
            observer.close();
        });

        it('a 2.x client is refused without --allow-eio3', async () => {
            const other = new V2Clients(eio4only.url);
            try {
                const s = other.socket('/', tr);
                let connected = false;
                s.on('connect', () => (connected = true));
                await once(s, 'connect_error', T(5000));
                assert.equal(connected, false);
            } finally {
                other.close();
            }
        });
    });
}

describe('Engine.IO v3 handshake without --allow-eio3', () => {
    it('answers 400 {"code":5,"message":"Unsupported protocol version"}', async () => {
        const res = await fetch(`${eio4only.url}/socket.io/?EIO=3&transport=polling`);
        assert.equal(res.status, 400);
        assert.deepEqual(await res.json(), { code: 5, message: 'Unsupported protocol version' });
    });
});

describe('EIO3 heartbeat (the client pings, the server pongs)', () => {
    let fast, c;
    before(async () => {
        fast = await startServer(['--echo', '--allow-eio3', '--ping-interval', '200', '--ping-timeout', '300']);
        c = new V2Clients(fast.url);
    });
    after(async () => {
        c.close();
        await fast.stop();
    });

    for (const tr of TRANSPORTS) {
        it(`[${tr.name}] a 2.x client stays connected over many ping intervals`, async () => {
            const s = await c.connect('/', tr);
            let pongs = 0;
            s.io.engine.on('pong', () => pongs++);
            let dropped = null;
            s.on('disconnect', (r) => (dropped = r));
            await sleep(1500);
            assert.equal(dropped, null);
            assert.ok(pongs >= 3, `only ${pongs} pongs in 1.5 s with a 200 ms interval`);
            const [res] = await ackV2(s, 'message-with-ack', 'alive');
            assert.equal(res, 'alive');
            s.close();
        });
    }
});
