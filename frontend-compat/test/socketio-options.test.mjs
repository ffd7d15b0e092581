// socketio-options.test.mjs - server options seen from socket.io-client 4.x: --transports limits
// what a client may use (a client that only speaks a disabled transport gets connect_error, the
// upgrade is not offered when websocket is off), and --ping-interval / --ping-timeout /
// --max-http-buffer-size are what the Engine.IO handshake announces.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, once, ack, T, sleep, waitConnected } from './lib/sio.mjs';

/** Connects and resolves with [socket, the Engine.IO handshake data]. */
async function connectWithHandshake(c, tr, opts = {}) {
    const s = c.socket('/', tr, opts);
    const hs = once(s.io.engine, 'handshake', T(5000));
    await waitConnected(s, tr);
    return [s, (await hs)[0]];
}

describe('--transports polling', () => {
    let srv, c;
    before(async () => {
        srv = await startServer(['--echo', '--transports', 'polling']);
        c = new Clients(srv.url);
    });
    after(async () => {
        c.close();
        await srv.stop();
    });

    it('a polling+websocket client connects and stays on polling (no upgrade offered)', async () => {
        const [s, hs] = await connectWithHandshake(c, TRANSPORTS[0], { transports: ['polling', 'websocket'], upgrade: true });
        let upgraded = false;
        s.io.engine.on('upgrade', () => (upgraded = true));
        assert.deepEqual(hs.upgrades, []);
        assert.deepEqual(await ack(s, 'message-with-ack', 'p'), ['p']);
        await sleep(300);
        assert.equal(upgraded, false);
        assert.equal(s.io.engine.transport.name, 'polling');
    });

    it('a websocket-only client cannot connect', async () => {
        const s = c.socket('/', TRANSPORTS[1], { reconnection: false });
        await once(s, 'connect_error', T(5000));
        assert.equal(s.connected, false);
    });
});

describe('--transports websocket', () => {
    let srv, c;
    before(async () => {
        srv = await startServer(['--echo', '--transports', 'websocket']);
        c = new Clients(srv.url);
    });
    after(async () => {
        c.close();
        await srv.stop();
    });

    it('a websocket client connects', async () => {
        const s = await c.connect('/', TRANSPORTS[1]);
        assert.deepEqual(await ack(s, 'message-with-ack', 'w'), ['w']);
    });

    it('a polling-only client cannot connect', async () => {
        const s = c.socket('/', TRANSPORTS[0], { reconnection: false });
        await once(s, 'connect_error', T(5000));
        assert.equal(s.connected, false);
    });
});

describe('Engine.IO options announced to socket.io clients', () => {
    let srv, c;
    before(async () => {
        srv = await startServer(['--echo', '--ping-interval', '1234', '--ping-timeout', '5678', '--max-http-buffer-size', '4321']);
        c = new Clients(srv.url);
    });
    after(async () => {
        c.close();
        await srv.stop();
    });

    for (const tr of TRANSPORTS) {
        it(`[${tr.name}] pingInterval, pingTimeout and maxPayload come from the flags`, async () => {
            const [s, hs] = await connectWithHandshake(c, tr);
            assert.equal(hs.pingInterval, 1234);
            assert.equal(hs.pingTimeout, 5678);
            assert.equal(hs.maxPayload, 4321);
            assert.equal(hs.sid, s.io.engine.id);
            assert.deepEqual(hs.upgrades, tr.name === 'websocket' ? [] : ['websocket']);
            s.disconnect();
        });
    }
});
