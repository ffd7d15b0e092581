// socketio-backpressure.test.mjs - a receiver that stops reading: the server's kernel send buffer
// fills, the broadcasts that do not fit wait in the server's queue (sioc writes a frame at once
// when nothing is queued and queues the rest after a short write), and once the receiver reads
// again every message arrives intact and in order, while the other clients are not held up.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, ack, T, waitFor } from './lib/sio.mjs';

let srv;
before(async () => {
    srv = await startServer(['--echo']);
});
after(() => srv.stop());

const websocket = TRANSPORTS.find((t) => t.name === 'websocket');

describe('backpressure [websocket]', () => {
    it('a paused receiver gets 60 broadcasts of 300 KB intact and in order; others are not held up', { timeout: T(60000) }, async () => {
        const c = new Clients(srv.url);
        try {
            const [slow, fast, sender] = await c.connectMany(3, '/', websocket);
            const N = 60; // 18 MB: more than the loopback socket buffers hold
            const body = (i) => String(i % 10).repeat(300000) + ':' + i;
            const gotSlow = [];
            const gotFast = [];
            slow.on('big', (m) => gotSlow.push(m));
            fast.on('big', (m) => gotFast.push(m));
            const raw = slow.io.engine.transport.ws._socket;
            raw.pause(); // stop reading: the server's writes to this socket back up
            for (let i = 0; i < N; i++) await ack(sender, 'broadcast', { event: 'big', args: [body(i)] });
            await waitFor(() => gotFast.length === N, `every broadcast on the reading client (got ${gotFast.length})`, T(20000));
            assert.ok(gotSlow.length < N, 'the paused client cannot have read everything');
            raw.resume();
            await waitFor(() => gotSlow.length === N, `every broadcast on the paused client (got ${gotSlow.length})`, T(30000));
            gotSlow.forEach((m, i) => assert.ok(m === body(i), `message ${i} intact and in order`));
            gotFast.forEach((m, i) => assert.ok(m === body(i), `message ${i} intact and in order`));
        } finally {
            c.close();
        }
    });
});
