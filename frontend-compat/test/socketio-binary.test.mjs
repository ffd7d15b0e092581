// socketio-binary.test.mjs - binary arguments (BINARY_EVENT / BINARY_ACK with attachments): a
// Buffer alone, nested in objects and arrays, several per packet, empty and large ones, echoed
// byte for byte by message-back, message-with-ack, emit-with-ack (server -> client -> server) and
// broadcasts, over each transport configuration (base64 in polling, binary frames on websocket).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, once, ack, ack1, T, waitFor, collect } from './lib/sio.mjs';

let srv;
before(async () => {
    srv = await startServer(['--echo', '--max-http-buffer-size', '5000000']);
});
after(() => srv.stop());

const bytes = (n, seed = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

/** Structurally compares, requiring binary values to come back as Buffers with the same bytes. */
function assertSame(actual, expected, where = 'value') {
    if (Buffer.isBuffer(expected)) {
        assert.ok(Buffer.isBuffer(actual), `${where}: expected a Buffer, got ${Object.prototype.toString.call(actual)}`);
        assert.ok(actual.equals(expected), `${where}: bytes differ (${actual.length} vs ${expected.length} bytes)`);
        return;
    }
    if (Array.isArray(expected)) {
        assert.ok(Array.isArray(actual), `${where}: expected an array`);
        assert.equal(actual.length, expected.length, `${where}: length`);
        expected.forEach((e, i) => assertSame(actual[i], e, `${where}[${i}]`));
        return;
    }
    if (expected && typeof expected === 'object') {
        assert.ok(actual && typeof actual === 'object' && !Array.isArray(actual), `${where}: expected an object`);
        assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${where}: keys`);
        for (const k of Object.keys(expected)) assertSame(actual[k], expected[k], `${where}.${k}`);
        return;
    }
    assert.deepEqual(actual, expected, where);
}

const CASES = {
    'a Buffer alone': [bytes(16)],
    'an empty Buffer': [Buffer.alloc(0)],
    'every byte value': [Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    'nested in objects and arrays': [
        { file: bytes(10, 1), meta: { name: 'f.bin', parts: [bytes(3, 2), 'text', { deep: [bytes(5, 3)] }] } },
        [bytes(7, 4), [bytes(1, 5)], null],
    ],
    'several per packet, mixed with text': ['before', bytes(100, 6), 42, bytes(200, 7), { b: bytes(300, 8) }, 'after'],
    'a large Buffer (1 MB)': [bytes(1024 * 1024, 10)],
    // socket.io-parser accepts at most 10 attachments per packet by default
    'ten attachments in one packet': Array.from({ length: 10 }, (_, i) => bytes(i + 1, i)),
};

for (const tr of TRANSPORTS) {
    describe(`binary [${tr.name}]`, () => {
        let c, s;
        before(async () => {
            c = new Clients(srv.url);
            s = await c.connect('/', tr);
        });
        after(() => c.close());

        for (const [name, args] of Object.entries(CASES)) {
            it(`${name}: message-back`, async () => {
                const back = once(s, 'message-back', T(15000));
                s.emit('message', ...args);
                assertSame(await back, args, 'message-back');
            });

            it(`${name}: message-with-ack`, async () => {
                assertSame(await ack(s, 'message-with-ack', ...args), args, 'ack');
            });
        }

        it('binary and text messages interleaved keep their order', async () => {
            const got = collect(s, 'message-back');
            const sent = [];
            for (let i = 0; i < 60; i++) {
                const a = i % 3 === 0 ? [i, bytes(i + 1, i)] : i % 3 === 1 ? [i, `t${i}`] : [i, { b: [bytes(2, i)] }];
                sent.push(a);
                s.emit('message', ...a);
            }
            await waitFor(() => got.length >= sent.length, 'all message-back', T(10000));
            assertSame(got, sent, 'interleaved');
            s.off('message-back');
        });

        it('emit-with-ack: the server sends binary, the client answers with binary', async () => {
            let received;
            s.once('bin-question', (a, b, cb) => {
                received = [a, b];
                cb(Buffer.concat([a, b.inner]), { echo: b.inner }, 'text');
            });
            const a = bytes(20, 1);
            const inner = bytes(30, 2);
            const res = await ack1(s, 'emit-with-ack', { event: 'bin-question', args: [a, { inner }], timeout: T(3000) });
            assertSame(received, [a, { inner }], 'received by the client');
            assert.equal(res.err, null);
            assertSame(res.response, [Buffer.concat([a, inner]), { echo: inner }, 'text'], 'response');
        });

        it('a binary broadcast reaches another client intact', async () => {
            const other = await c.connect('/', tr);
            const payload = { img: bytes(5000, 3), list: [bytes(1, 4), bytes(2, 5)] };
            const got = once(other, 'bin-news');
            assert.deepEqual(await ack(s, 'broadcast', { event: 'bin-news', args: ['hdr', payload] }), [true]);
            assertSame(await got, ['hdr', payload], 'broadcast');
            other.disconnect();
        });

        it('a binary broadcast with ack collects binary responses', async () => {
            const other = await c.connect('/', tr);
            await ack(other, 'join', 'bin-room');
            other.on('bin-ack', (b, cb) => cb({ back: b, extra: bytes(3, 9) }));
            const b = bytes(64, 7);
            const res = await ack1(s, 'broadcast-with-ack', { event: 'bin-ack', args: [b], rooms: ['bin-room'], timeout: T(3000) });
            assert.equal(res.err, null);
            assertSame(res.responses, [{ back: b, extra: bytes(3, 9) }], 'responses');
            other.disconnect();
        });
    });
}
