// socketio-invalid.test.mjs - what the server does with Socket.IO packets that socket.io-client
// would never send, written with the raw engine.io-client over each transport: every malformed or
// out-of-state packet closes the Engine.IO connection (as socket.io's decoder and Client do), the
// server records the socket's disconnection ("forced close" after a decoding error) and keeps
// serving the others; the odd-but-valid packets (a numeric event name, CONNECT without payload)
// are accepted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Socket as EngineSocket } from 'engine.io-client';
import { startServer, TRANSPORTS, Clients, once, ack, ack1, T, waitFor } from './lib/sio.mjs';

let srv, c, observer;
before(async () => {
    srv = await startServer(['--echo']);
    c = new Clients(srv.url);
    observer = await c.connect('/', TRANSPORTS[1]);
});
after(async () => {
    c.close();
    await srv.stop();
});

/**
 * An Engine.IO connection to /socket.io/ with the namespace `/` joined; resolves {sock, sid, inbox}.
 * Packets are written and read at the Socket.IO level: engine.io-client adds and strips the `4`.
 */
async function rawJoined(tr, agents) {
    const agent = new http.Agent({ keepAlive: false });
    agents.push(agent);
    const sock = new EngineSocket(srv.url, { path: '/socket.io/', agent, transports: tr.opts.transports, upgrade: tr.opts.upgrade !== false });
    const inbox = [];
    sock.on('message', (m) => inbox.push(m));
    await once(sock, 'open', T(5000));
    if (tr.name === 'upgrade' && sock.transport.name !== 'websocket') await once(sock, 'upgrade', T(5000));
    sock.send('0'); // Engine.IO adds its own `4` (message) prefix
    const connected = await waitFor(() => inbox.find((m) => typeof m === 'string' && m.startsWith('0{')), 'the CONNECT answer');
    return { sock, sid: JSON.parse(connected.slice(1)).sid, inbox };
}

const INVALID = {
    'EVENT with an object payload': '2{"a":1}',
    'EVENT with a string payload': '2"hello"',
    'EVENT with an empty array': '2[]',
    'EVENT whose name is an object': '2[{"a":1},2]',
    'EVENT with a reserved name (disconnect)': '2["disconnect"]',
    'EVENT with a reserved name (connect)': '2["connect",1]',
    'EVENT with broken JSON': '2["message",',
    'ACK with an object payload': '31{"a":1}',
    'DISCONNECT with a payload': '1{"a":1}',
    'unknown packet type': '9["x"]',
    'empty packet': '',
    'EVENT to a namespace not joined': '2/custom,["message",1]',
    'CONNECT again to a joined namespace': '0',
    'CONNECT with an array payload': '0/custom,[1]',
    'BINARY_EVENT with more than 10 attachments': '511-["x",' + Array.from({ length: 11 }, (_, i) => `{"_placeholder":true,"num":${i}}`).join(',') + ']',
};

// valid packets in the wrong place (the others do not decode); socket.io-parser reads an empty
// message as a CONNECT to "/" (Number("") is 0), which is then a second CONNECT
const OUT_OF_STATE = new Set(['EVENT to a namespace not joined', 'CONNECT again to a joined namespace', 'empty packet']);

for (const tr of TRANSPORTS) {
    describe(`invalid packets [${tr.name}]`, () => {
        const agents = [];
        after(() => agents.forEach((a) => a.destroy()));

        for (const [name, packet] of Object.entries(INVALID)) {
            it(`${name} closes the connection`, async () => {
                const { sock, sid } = await rawJoined(tr, agents);
                try {
                    const closed = once(sock, 'close', T(5000));
                    sock.send(packet);
                    await closed;
                    const rec = await waitFor(async () => (await ack1(observer, 'last-disconnects')).find((d) => d.id === sid), 'the disconnect record');
                    if (OUT_OF_STATE.has(name)) {
                        // socket.io's Client.close(): "forced close" from the engine when nothing is
                        // queued, else its own "forced server close" comes first
                        assert.ok(['forced close', 'forced server close'].includes(rec.reason), rec.reason);
                    } else {
                        // a decoding error: the engine is closed and its reason is "forced close"
                        assert.equal(rec.reason, 'forced close');
                    }
                    assert.deepEqual(await ack(observer, 'message-with-ack', 'still serving'), ['still serving']);
                } finally {
                    sock.close();
                }
            });
        }

        it('an EVENT with a numeric name is valid (and ignored by the echo app)', async () => {
            const { sock, inbox } = await rawJoined(tr, agents);
            try {
                let closed = false;
                sock.on('close', () => (closed = true));
                sock.send('2[1,"x"]');
                sock.send('27["message-with-ack","after"]');
                await waitFor(() => inbox.includes('37["after"]'), 'the ack after the numeric event');
                assert.equal(closed, false);
            } finally {
                sock.close();
            }
        });

        it('CONNECT without payload joins with auth {}', async () => {
            const { sock, inbox } = await rawJoined(tr, agents);
            try {
                await waitFor(() => inbox.includes('2["auth",{}]'), 'the auth event');
                sock.send('0/custom,');
                await waitFor(() => inbox.some((m) => typeof m === 'string' && m.startsWith('0/custom,{"sid":"')), 'the /custom CONNECT answer');
                await waitFor(() => inbox.includes('2/custom,["auth",{}]'), 'the /custom auth event');
            } finally {
                sock.close();
            }
        });

        it('a DISCONNECT of a namespace not joined closes the connection', async () => {
            const { sock, inbox } = await rawJoined(tr, agents);
            try {
                const closed = once(sock, 'close', T(3000)).then(() => true, () => false);
                sock.send('1/custom,');
                sock.send('23["message-with-ack","x"]');
                const wasClosed = await closed;
                assert.equal(wasClosed, true, 'socket.io closes the connection on a packet for a namespace it has no socket for');
                assert.ok(!inbox.includes('33["x"]'));
            } finally {
                sock.close();
            }
        });
    });
}
