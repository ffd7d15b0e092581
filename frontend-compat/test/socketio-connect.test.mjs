// socketio-connect.test.mjs - connecting socket.io-client 4.x to the echo app: `/` and `/custom`
// with and without auth, dynamic namespaces, refused namespaces, middleware errors with data,
// asynchronous middleware and several namespaces multiplexed on one Engine.IO connection. Each
// test runs over polling only, websocket only, and polling then upgrade.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, once, ack, ack1, T, waitConnected } from './lib/sio.mjs';

let srv;
before(async () => {
    srv = await startServer(['--echo', '--echo-extras']);
});
after(() => srv.stop());

/** Creates a socket and resolves with the error of its first connect_error. */
async function refused(c, nsp, tr, opts = {}) {
    const s = c.socket(nsp, tr, opts);
    let connected = false;
    s.on('connect', () => (connected = true));
    const [err] = await once(s, 'connect_error', T(5000));
    assert.equal(connected, false);
    return { s, err };
}

for (const tr of TRANSPORTS) {
    describe(`connect [${tr.name}]`, () => {
        let c;
        before(() => (c = new Clients(srv.url)));
        after(() => c.close());

        for (const nsp of ['/', '/custom']) {
            it(`${nsp} without auth: connected, auth event is {}`, async () => {
                const s = await c.connect(nsp, tr);
                assert.equal(s.connected, true);
                assert.equal(typeof s.id, 'string');
                assert.ok(s.id.length > 0);
                assert.notEqual(s.id, s.io.engine.id, 'the namespace sid differs from the Engine.IO sid');
                assert.deepEqual(await s.authEcho, {});
                assert.deepEqual(await ack(s, 'message-with-ack', 'x'), ['x']);
                s.disconnect();
            });

            it(`${nsp} with auth: the auth payload is echoed`, async () => {
                const auth = { token: 'abc', n: 42, nested: { list: [1, 'two', null], ok: true }, uni: 'é🎉' };
                const s = await c.connect(nsp, tr, { auth });
                assert.deepEqual(await s.authEcho, auth);
                const hs = await ack1(s, 'handshake');
                assert.deepEqual(hs.auth, auth);
                s.disconnect();
            });
        }

        it('auth as a function is called at each connection', async () => {
            let calls = 0;
            const s = await c.connect('/', tr, {
                auth: (cb) => {
                    calls++;
                    cb({ call: calls });
                },
            });
            assert.deepEqual(await s.authEcho, { call: 1 });
            s.disconnect();
        });

        it('two connections get distinct ids', async () => {
            const [a, b] = await c.connectMany(2, '/', tr);
            assert.notEqual(a.id, b.id);
            a.disconnect();
            b.disconnect();
        });

        it('dynamic namespace /dyn-abc123 (--echo-extras) behaves like /', async () => {
            const s = await c.connect('/dyn-abc123', tr, { auth: { k: 'v' } });
            assert.deepEqual(await s.authEcho, { k: 'v' });
            const back = once(s, 'message-back');
            s.emit('message', 1, 'two');
            assert.deepEqual(await back, [1, 'two']);
            assert.deepEqual(await ack(s, 'message-with-ack', { a: 1 }), [{ a: 1 }]);
            s.disconnect();
        });

        it('a namespace not matching the dynamic pattern is refused', async () => {
            const { s, err } = await refused(c, '/dyn-ABC', tr);
            assert.equal(err.message, 'Invalid namespace');
            s.close();
        });

        it('unknown namespace: connect_error "Invalid namespace", no automatic retry', async () => {
            const { s, err } = await refused(c, '/nope', tr);
            assert.equal(err.message, 'Invalid namespace');
            assert.equal(s.connected, false);
            assert.equal(s.active, false, 'a refusal by the server is final');
            s.close();
        });

        it('/auth-required without token: middleware error with data', async () => {
            const { s, err } = await refused(c, '/auth-required', tr);
            assert.equal(err.message, 'not authorized');
            assert.deepEqual(err.data, { code: 401 });
            assert.equal(s.active, false);
            s.close();
        });

        it('/auth-required with token "good" is accepted', async () => {
            const s = await c.connect('/auth-required', tr, { auth: { token: 'good' } });
            assert.equal(s.connected, true);
            s.disconnect();
        });

        it('/async-mw: the asynchronous middleware accepts after its delay', async () => {
            const t0 = Date.now();
            const s = await c.connect('/async-mw', tr);
            assert.ok(Date.now() - t0 >= 45, `connected after ${Date.now() - t0} ms, before the middleware's 50 ms`);
            assert.equal(s.connected, true);
            s.disconnect();
        });

        it('20 dynamic namespaces multiplexed on one connection, each with its own auth', async () => {
            const m = c.manager(tr);
            const socks = Array.from({ length: 20 }, (_, i) => m.socket(`/dyn-n${i}`, { auth: { i } }));
            socks.forEach((s) => s.connect());
            await Promise.all(socks.map((s) => waitConnected(s)));
            const engineId = m.engine.id;
            for (const [i, s] of socks.entries()) assert.deepEqual(await s.authEcho, { i });
            const res = await Promise.all(socks.map((s, i) => ack(s, 'message-with-ack', `/dyn-n${i}`)));
            res.forEach((r, i) => assert.deepEqual(r, [`/dyn-n${i}`]));
            // a broadcast in one dynamic namespace stays there
            const hits = socks.map(() => 0);
            socks.forEach((s, i) => s.on('dyn-news', () => hits[i]++));
            await ack(socks[3], 'broadcast', { event: 'dyn-news', args: [], includeSelf: true });
            await ack(socks[4], 'message-with-ack', 'sync');
            await new Promise((r) => setTimeout(r, 50));
            assert.deepEqual(hits, hits.map((_, i) => (i === 3 ? 1 : 0)));
            assert.equal(m.engine.id, engineId);
            socks.forEach((s) => s.disconnect());
        });

        it('several namespaces on one Engine.IO connection; a refused one does not hurt the others', async () => {
            const m = c.manager(tr);
            const root = m.socket('/', { auth: { ns: 'root' } });
            const custom = m.socket('/custom', { auth: { ns: 'custom' } });
            const bad = m.socket('/nope');
            const badErr = once(bad, 'connect_error');
            root.connect();
            custom.connect();
            bad.connect();
            await Promise.all([waitConnected(root, tr), waitConnected(custom, tr)]);
            assert.equal((await badErr)[0].message, 'Invalid namespace');
            assert.deepEqual(await root.authEcho, { ns: 'root' });
            assert.deepEqual(await custom.authEcho, { ns: 'custom' });
            assert.notEqual(root.id, custom.id);
            // one Engine.IO session for both
            const [hsRoot, hsCustom] = await Promise.all([ack1(root, 'handshake'), ack1(custom, 'handshake')]);
            assert.equal(hsRoot.query.EIO, '4');
            assert.equal(hsCustom.query.EIO, '4');
            // leaving one namespace keeps the connection and the other namespace
            custom.disconnect();
            assert.deepEqual(await ack(root, 'message-with-ack', 'still', 'here'), ['still', 'here']);
            // and a namespace can be joined again on the same connection
            custom.connect();
            await waitConnected(custom);
            assert.deepEqual(await ack(custom, 'message-with-ack', 1), [1]);
            // each namespace sees only its own sockets
            const inRoot = await ack1(root, 'fetch-sockets', {});
            const inCustom = await ack1(custom, 'fetch-sockets', {});
            assert.ok(inRoot.some((x) => x.id === root.id));
            assert.ok(!inRoot.some((x) => x.id === custom.id));
            assert.ok(inCustom.some((x) => x.id === custom.id));
            assert.ok(!inCustom.some((x) => x.id === root.id));
            root.disconnect();
            custom.disconnect();
            bad.close();
        });
    });
}
