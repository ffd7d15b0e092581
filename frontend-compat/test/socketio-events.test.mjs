// socketio-events.test.mjs - events and acknowledgements in both directions through the echo app:
// message -> message-back with every JSON kind of argument, message-with-ack, server-to-client
// emits with an ack (answered, unanswered -> timeout, answered too late), the client-side
// socket.timeout(ms).emitWithAck, ordering, large payloads and emits during the upgrade.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, once, ack, ack1, T, waitFor, collect } from './lib/sio.mjs';

let srv;
before(async () => {
    srv = await startServer(['--echo']);
});
after(() => srv.stop());

const ARGS = [
    1,
    'two',
    { three: [3, { x: null, y: true, z: false }], empty: {}, list: [] },
    null,
    true,
    false,
    0,
    -17,
    3.25,
    1e21,
    Number.MAX_SAFE_INTEGER,
    '',
    'héllo wörld 🎉 日本語 \u0000 \u2028 "quoted" \\ back',
    [1, [2, [3, [4]]]],
];

for (const tr of TRANSPORTS) {
    describe(`events and acks [${tr.name}]`, () => {
        let c, s;
        before(async () => {
            c = new Clients(srv.url);
            s = await c.connect('/', tr);
        });
        after(() => c.close());

        it('message -> message-back with many kinds of arguments', async () => {
            const back = once(s, 'message-back');
            s.emit('message', ...ARGS);
            assert.deepEqual(await back, ARGS);
        });

        it('message with no argument -> message-back with none', async () => {
            const back = once(s, 'message-back');
            s.emit('message');
            assert.deepEqual(await back, []);
        });

        it('message-back on /custom too', async () => {
            const cs = await c.connect('/custom', tr);
            const back = once(cs, 'message-back');
            cs.emit('message', { ns: 'custom' }, 'ü');
            assert.deepEqual(await back, [{ ns: 'custom' }, 'ü']);
            cs.disconnect();
        });

        it('undefined arguments become null and object keys with undefined vanish (JSON)', async () => {
            const back = once(s, 'message-back');
            s.emit('message', { a: undefined, b: 1 }, [undefined]);
            assert.deepEqual(await back, [{ b: 1 }, [null]]);
        });

        it('numbers at the edges of float64 and int64 round trip unchanged', async () => {
            const nums = [1e19, 2 ** 64, -(2 ** 63), 2 ** 63, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, -1e-300, 0.1 + 0.2, 1e21, 123456789.123456789];
            assert.deepEqual(await ack(s, 'message-with-ack', ...nums), nums);
            const back = once(s, 'message-back');
            s.emit('message', { nums });
            assert.deepEqual(await back, [{ nums }]);
        });

        it('strings with lone UTF-16 surrogates (JSON-escaped by the client) do not break the connection', async () => {
            // e.g. a chat text cut in the middle of an emoji: JSON.stringify writes "\ud83d". The
            // reference echoes them exactly; a server that keeps text as UTF-8 may answer U+FFFD
            // instead, but must not drop the connection.
            const odd = ['\ud800', 'a\udfffb', 'cut \ud83d', { '\ud83d': '\ude00' }, '\udbff\udfff'];
            const lossy = JSON.parse(JSON.stringify(odd).replace(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/g, '\\ufffd'));
            assert.notDeepEqual(lossy, odd);
            assert.equal(lossy[4], odd[4], 'a proper pair stays');
            const same = (got) => {
                try {
                    assert.deepEqual(got, odd);
                } catch {
                    assert.deepEqual(got, lossy, 'neither exact nor with U+FFFD');
                }
            };
            const own = await c.connect('/', tr, { reconnection: false });
            same(await ack(own, 'message-with-ack', ...odd));
            const back = once(own, 'message-back');
            own.emit('message', ...odd);
            same(await back);
            assert.equal(own.connected, true);
            own.disconnect();
        });

        it('message-with-ack answers with its own arguments', async () => {
            assert.deepEqual(await ack(s, 'message-with-ack', ...ARGS), ARGS);
            assert.deepEqual(await ack(s, 'message-with-ack'), []);
        });

        it('many messages arrive in order', async () => {
            const got = collect(s, 'message-back');
            const N = 300;
            for (let i = 0; i < N; i++) s.emit('message', i, `m${i}`);
            await waitFor(() => got.length >= N, `${N} message-back`, T(10000));
            assert.deepEqual(
                got.slice(0, N),
                Array.from({ length: N }, (_, i) => [i, `m${i}`]),
            );
            s.off('message-back');
        });

        it('many acks in flight at once each get their own answer', async () => {
            const N = 200;
            const res = await Promise.all(Array.from({ length: N }, (_, i) => ack(s, 'message-with-ack', i, { i })));
            res.forEach((r, i) => assert.deepEqual(r, [i, { i }]));
        });

        it('a large text payload (200 kB) round trips', async () => {
            const big = 'x'.repeat(100000) + 'é'.repeat(50000);
            const back = once(s, 'message-back', T(10000));
            s.emit('message', big);
            assert.equal((await back)[0], big);
            assert.deepEqual(await ack(s, 'message-with-ack', { big }), [{ big }]);
        });

        it('emit-with-ack: the server emits, the client answers, the server gets the answer', async () => {
            s.once('question', (a, b, cb) => cb('answer', a + b, { sum: [a, b] }));
            const res = await ack1(s, 'emit-with-ack', { event: 'question', args: [2, 3], timeout: T(2000) });
            assert.deepEqual(res, { err: null, response: ['answer', 5, { sum: [2, 3] }] });
        });

        it('emit-with-ack: the client answers with no argument', async () => {
            s.once('ping-me', (cb) => cb());
            const res = await ack1(s, 'emit-with-ack', { event: 'ping-me', args: [], timeout: T(2000) });
            assert.deepEqual(res, { err: null, response: [] });
        });

        it('emit-with-ack: the client does not answer -> the server timeout fires with an error', async () => {
            let received = null;
            s.once('ignored', (...a) => (received = a));
            const t0 = Date.now();
            const res = await ack1(s, 'emit-with-ack', { event: 'ignored', args: ['x'], timeout: 300 });
            const took = Date.now() - t0;
            assert.equal(typeof res.err, 'string');
            assert.ok(res.err.length > 0);
            assert.ok(res.response === undefined || (Array.isArray(res.response) && res.response.length === 0), JSON.stringify(res));
            assert.ok(took >= 280, `the ack came after ${took} ms, before the 300 ms timeout`);
            assert.equal(received[0], 'x', 'the event itself was delivered');
            assert.equal(typeof received[1], 'function', 'with an ack callback');
        });

        it('emit-with-ack: an answer after the timeout is ignored and the connection goes on', async () => {
            let late;
            s.once('slow', (cb) => (late = cb));
            const res = await ack1(s, 'emit-with-ack', { event: 'slow', args: [], timeout: 200 });
            assert.equal(typeof res.err, 'string');
            late('too late');
            assert.deepEqual(await ack(s, 'message-with-ack', 'after'), ['after']);
            // a fresh emit-with-ack is not confused by the late answer
            s.once('q2', (cb) => cb('fresh'));
            const res2 = await ack1(s, 'emit-with-ack', { event: 'q2', args: [], timeout: T(2000) });
            assert.deepEqual(res2, { err: null, response: ['fresh'] });
        });

        it('client-side timeout(ms).emitWithAck resolves with the first ack argument', async () => {
            assert.equal(await s.timeout(T(2000)).emitWithAck('message-with-ack', 'first', 'second'), 'first');
            assert.deepEqual(await s.emitWithAck('message-with-ack', { o: 1 }), { o: 1 });
        });

        it('client-side timeout(ms).emitWithAck rejects when the server does not ack', async () => {
            const t0 = Date.now();
            await assert.rejects(s.timeout(200).emitWithAck('message', 'no ack here'), (err) => {
                assert.equal(err.message, 'operation has timed out');
                return true;
            });
            assert.ok(Date.now() - t0 >= 190);
            // the server still handled the event (message-back) and the socket still works
            assert.deepEqual(await ack(s, 'message-with-ack', 'ok'), ['ok']);
        });

        it('client-side timeout(ms).emit with a callback: (null, ...args) on success', async () => {
            const res = await new Promise((resolve) => s.timeout(T(2000)).emit('message-with-ack', 'a', 2, (...a) => resolve(a)));
            assert.deepEqual(res, [null, 'a', 2]);
        });

        it('an event without a handler on the server is ignored; the socket goes on', async () => {
            s.emit('no-such-event', 1, 2, 3);
            assert.deepEqual(await ack(s, 'message-with-ack', 'alive'), ['alive']);
            assert.equal(s.connected, true);
        });

        it('server-side-emit with a single node delivers nothing to the clients', async () => {
            const got = collect(s, 'sse');
            s.emit('server-side-emit', 'sse', [1, 2]);
            assert.deepEqual(await ack(s, 'message-with-ack', 'after'), ['after']);
            assert.equal(got.length, 0);
        });
    });
}

describe('emits during the polling -> websocket upgrade', () => {
    let c;
    before(() => (c = new Clients(srv.url)));
    after(() => c.close());

    it('messages sent before connect, during the handshake and the upgrade all arrive once and in order', async () => {
        const tr = TRANSPORTS[2];
        for (let round = 0; round < 3; round++) {
            const s = c.socket('/', tr);
            const got = collect(s, 'message-back');
            const acks = [];
            let n = 0;
            const send = () => {
                acks.push(ack(s, 'message-with-ack', n));
                s.emit('message', n++);
            };
            const upgraded = once(s.io, 'open', T(5000)).then(() => once(s.io.engine, 'upgrade', T(10000)));
            // buffered before the connection exists
            for (let i = 0; i < 50; i++) send();
            // then a few at a time while the handshake and the upgrade go on
            let done = false;
            upgraded.then(() => (done = true), () => (done = true));
            while (!done) {
                send();
                send();
                await new Promise((r) => setTimeout(r, 1));
            }
            await upgraded;
            assert.equal(s.io.engine.transport.name, 'websocket');
            for (let i = 0; i < 50; i++) send();
            await waitFor(() => got.length >= n, 'all message-back', T(10000));
            assert.deepEqual(got, Array.from({ length: n }, (_, i) => [i]));
            (await Promise.all(acks)).forEach((r, i) => assert.deepEqual(r, [i]));
            s.disconnect();
        }
    });
});
