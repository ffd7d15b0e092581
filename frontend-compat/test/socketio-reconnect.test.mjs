// socketio-reconnect.test.mjs - automatic reconnection of socket.io-client 4.x when the server goes
// away and a new one starts on the same port: every client (each transport configuration) comes
// back by itself with a new id, sends its auth again and works as before.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, once, ack, T, waitFor } from './lib/sio.mjs';

describe('reconnection after a server restart', () => {
    let srv, c;
    after(async () => {
        if (c) c.close();
        if (srv) await srv.stop();
    });

    it('clients on every transport reconnect by themselves to the new server on the same port', async () => {
        srv = await startServer(['--echo']);
        const port = srv.port;
        c = new Clients(srv.url);
        const clients = [];
        for (const tr of TRANSPORTS) {
            for (let i = 0; i < 3; i++) clients.push({ tr, s: await c.connect(i === 2 ? '/custom' : '/', tr, { auth: { n: clients.length } }) });
        }
        const oldIds = clients.map(({ s }) => s.id);
        const reasons = clients.map(() => null);
        const reconnects = clients.map(() => 0);
        clients.forEach(({ s }, i) => {
            s.on('disconnect', (r) => (reasons[i] = r));
            s.io.on('reconnect', () => reconnects[i]++);
        });
        const auths = clients.map(({ s }) => new Promise((resolve) => s.on('auth', (a) => resolve(a))));

        await srv.stop();
        srv = null;
        await waitFor(() => reasons.every((r) => r !== null), 'every client to see the disconnection', T(5000));
        for (const r of reasons) assert.ok(['transport close', 'transport error'].includes(r), `reason ${r}`);
        for (const { s } of clients) assert.equal(s.active, true, 'the client keeps trying');

        srv = await startServer(['--echo'], { port });
        assert.equal(srv.port, port);
        await waitFor(() => clients.every(({ s }) => s.connected), 'every client to reconnect', T(15000));
        clients.forEach(({ s }, i) => {
            assert.notEqual(s.id, oldIds[i], 'a new server gives a new id');
            assert.ok(!s.recovered);
            assert.equal(reconnects[i], 1);
        });
        (await Promise.all(auths)).forEach((a, i) => assert.deepEqual(a, { n: i }, 'the auth is sent again'));
        for (const [i, { s }] of clients.entries()) assert.deepEqual(await ack(s, 'message-with-ack', 'back', i), ['back', i]);
        // and a broadcast between reconnected clients works
        const got = once(clients[1].s, 'after-restart');
        await ack(clients[0].s, 'broadcast', { event: 'after-restart', args: ['hi'] });
        assert.deepEqual(await got, ['hi']);
    });

    it('a client started while the server is down connects once it is up', async () => {
        const port = srv.port;
        await srv.stop();
        srv = null;
        const s = c.socket('/', TRANSPORTS[2]);
        const errs = [];
        s.on('connect_error', (e) => errs.push(e.message));
        await waitFor(() => errs.length >= 2, 'connect errors while the server is down', T(5000));
        assert.equal(s.active, true);
        srv = await startServer(['--echo'], { port });
        await once(s, 'connect', T(15000));
        assert.deepEqual(await ack(s, 'message-with-ack', 'up'), ['up']);
    });
});
