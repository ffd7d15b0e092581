// socketio-recovery.test.mjs - connection state recovery (--recovery): after a transport close the
// client comes back with `recovered === true`, the same id, its rooms and data, and receives the
// room broadcasts it missed exactly once and in order (and not the ones meant for others);
// without --recovery or after --max-disconnection-duration nothing is recovered.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, once, ack, ack1, T, waitFor, sleep, collect, waitUpgraded, disconnectOf } from './lib/sio.mjs';

let rec, norec, short;
before(async () => {
    [rec, norec, short] = await Promise.all([
        startServer(['--echo', '--recovery']),
        startServer(['--echo']),
        startServer(['--echo', '--recovery', '--max-disconnection-duration', '300']),
    ]);
});
after(() => Promise.all([rec.stop(), norec.stop(), short.stop()]));

/**
 * a joins "news", gets one broadcast (so it has an offset), sets data, loses its transport; while it
 * is away b broadcasts 1..5 to "news" and a few that are not for a; then a reconnects.
 */
async function scenario(srv, tr, { wait = 0 } = {}) {
    const c = new Clients(srv.url);
    try {
        const a = await c.connect('/', tr);
        const b = await c.connect('/', tr);
        await ack(a, 'join', 'news');
        await ack(a, 'set-data', { who: 'a' });
        const got = collect(a, 'news');
        const other = collect(a, 'not-for-a');
        await ack(b, 'broadcast', { event: 'news', args: [0], rooms: ['news'] });
        await waitFor(() => got.length === 1, 'the first broadcast');
        const id = a.id;

        a.io.reconnection(false);
        const gone = once(a, 'disconnect');
        a.io.engine.close();
        await gone;
        assert.equal((await disconnectOf(b, id)).reason, 'transport close');
        for (let k = 1; k <= 5; k++) {
            await ack(b, 'broadcast', { event: 'news', args: [k, { k }], rooms: ['news'] });
            await ack(b, 'broadcast', { event: 'not-for-a', args: [k], rooms: ['elsewhere'] });
            await ack(b, 'broadcast', { event: 'not-for-a', args: [k], except: ['news'] });
        }
        await ack(b, 'broadcast', { event: 'not-for-a', args: ['volatile'], rooms: ['news'], volatile: true });
        if (wait) await sleep(wait);

        a.io.reconnection(true);
        a.connect();
        await once(a, 'connect', T(5000));
        if (tr.name === 'upgrade') await waitUpgraded(a);
        // a live broadcast to the room, then a sentinel to a's (possibly new) id: a socket gets its
        // events in order, so once the sentinel is there everything else has arrived
        const sentinel = once(a, 'sentinel', T(5000));
        await ack(b, 'broadcast', { event: 'news', args: [6, { k: 6 }], rooms: ['news'] });
        await ack(b, 'broadcast', { event: 'sentinel', args: [], rooms: [a.id] });
        await sentinel;
        return {
            recovered: a.recovered,
            newId: a.id,
            id,
            got,
            other,
            rooms: await ack1(a, 'rooms'),
            data: (await ack1(b, 'fetch-sockets', { rooms: [a.id] }))[0]?.data,
        };
    } finally {
        c.close();
    }
}

for (const tr of TRANSPORTS) {
    describe(`connection state recovery [${tr.name}]`, () => {
        it('with --recovery: recovered, same id, rooms and data kept, missed broadcasts once and in order', async () => {
            const r = await scenario(rec, tr);
            assert.equal(r.recovered, true);
            assert.equal(r.newId, r.id);
            assert.deepEqual(r.got.map((e) => e[0]), [0, 1, 2, 3, 4, 5, 6]);
            for (const e of r.got.slice(1)) assert.deepEqual(e[1], { k: e[0] });
            // each recoverable broadcast carries its offset as an extra last argument
            const offsets = r.got.map((e) => e[e.length - 1]);
            for (const o of offsets) assert.equal(typeof o, 'string');
            assert.equal(new Set(offsets).size, offsets.length, 'distinct offsets');
            assert.deepEqual(r.other, [], 'broadcasts for other rooms, excluded rooms or volatile ones are not replayed');
            assert.ok(r.rooms.includes('news'));
            assert.ok(r.rooms.includes(r.id));
            assert.deepEqual(r.data, { who: 'a' });
        });

        it('without --recovery: not recovered, new id, no missed broadcasts, rooms lost', async () => {
            const r = await scenario(norec, tr);
            assert.ok(!r.recovered);
            assert.notEqual(r.newId, r.id);
            assert.deepEqual(r.got.map((e) => e[0]), [0], 'neither the missed broadcasts nor the live one (a left the room)');
            assert.ok(!r.rooms.includes('news'));
            assert.notDeepEqual(r.data, { who: 'a' }, 'a new socket starts without the old data');
        });

        it('with --recovery but after --max-disconnection-duration: not recovered', async () => {
            const r = await scenario(short, tr, { wait: 700 });
            assert.ok(!r.recovered);
            assert.notEqual(r.newId, r.id);
            assert.deepEqual(r.got.map((e) => e[0]), [0]);
            assert.ok(!r.rooms.includes('news'));
        });

        it('with --recovery: the automatic reconnection recovers the session', async () => {
            const c = new Clients(rec.url);
            try {
                const a = await c.connect('/', tr);
                const b = await c.connect('/', tr);
                await ack(a, 'join', 'auto');
                const got = collect(a, 'auto-news');
                await ack(b, 'broadcast', { event: 'auto-news', args: [1], rooms: ['auto'] });
                await waitFor(() => got.length === 1, 'the first broadcast');
                const id = a.id;
                const back = once(a, 'connect', T(5000));
                a.io.engine.close();
                await back;
                assert.equal(a.recovered, true);
                assert.equal(a.id, id);
                await ack(b, 'broadcast', { event: 'auto-news', args: [2], rooms: ['auto'] });
                await waitFor(() => got.length === 2, 'the second broadcast');
                assert.deepEqual(got.map((e) => e[0]), [1, 2]);
            } finally {
                c.close();
            }
        });

        it('with --recovery: a client disconnect (not a transport close) is not recoverable', async () => {
            const c = new Clients(rec.url);
            try {
                const a = await c.connect('/', tr);
                const b = await c.connect('/', tr);
                await ack(a, 'join', 'x');
                const got = collect(a, 'x-news');
                await ack(b, 'broadcast', { event: 'x-news', args: [1], rooms: ['x'] });
                await waitFor(() => got.length === 1, 'the first broadcast');
                const id = a.id;
                a.disconnect();
                assert.equal((await disconnectOf(b, id)).reason, 'client namespace disconnect');
                a.connect();
                await once(a, 'connect', T(5000));
                assert.ok(!a.recovered);
                assert.notEqual(a.id, id);
            } finally {
                c.close();
            }
        });
    });
}

for (const tr of TRANSPORTS) {
    describe(`connection state recovery, more cases [${tr.name}]`, () => {
        it('missed binary broadcasts and broadcasts to several of its rooms are replayed once, intact', async () => {
            const c = new Clients(rec.url);
            try {
                const a = await c.connect('/', tr);
                const b = await c.connect('/', tr);
                await ack(a, 'join', 'r1');
                await ack(a, 'join', 'r2');
                const got = collect(a, 'bin');
                await ack(b, 'broadcast', { event: 'bin', args: ['first'], rooms: ['r1'] });
                await waitFor(() => got.length === 1, 'the first broadcast');
                const id = a.id;
                a.io.reconnection(false);
                const gone = once(a, 'disconnect');
                a.io.engine.close();
                await gone;
                await disconnectOf(b, id);
                const payload = { buf: Buffer.from([0, 1, 2, 253, 254, 255]), list: [Buffer.from('héllo')] };
                await ack(b, 'broadcast', { event: 'bin', args: ['binary', payload], rooms: ['r1'] });
                await ack(b, 'broadcast', { event: 'bin', args: ['both rooms'], rooms: ['r1', 'r2'] });
                await ack(b, 'broadcast', { event: 'bin', args: ['r2 only'], rooms: ['r2'] });
                a.io.reconnection(true);
                a.connect();
                await once(a, 'connect', T(5000));
                assert.equal(a.recovered, true);
                assert.equal(a.id, id);
                const sentinel = once(a, 'sentinel', T(5000));
                await ack(b, 'broadcast', { event: 'sentinel', args: [], rooms: [a.id] });
                await sentinel;
                assert.deepEqual(got.map((e) => e[0]), ['first', 'binary', 'both rooms', 'r2 only']);
                const bin = got[1][1];
                assert.ok(Buffer.isBuffer(bin.buf) && bin.buf.equals(payload.buf), 'the Buffer argument');
                assert.ok(Buffer.isBuffer(bin.list[0]) && bin.list[0].equals(payload.list[0]), 'the nested Buffer');
                assert.equal(typeof got[1][2], 'string', 'the offset follows the arguments');
            } finally {
                c.close();
            }
        });

        it('two namespaces on one connection are both recovered', async () => {
            const c = new Clients(rec.url);
            try {
                const m = c.manager(tr);
                const a1 = m.socket('/');
                const a2 = m.socket('/custom');
                a1.connect();
                a2.connect();
                await Promise.all([once(a1, 'connect'), once(a2, 'connect')]);
                const b1 = await c.connect('/', tr);
                const b2 = await c.connect('/custom', tr);
                await ack(a1, 'join', 'n');
                await ack(a2, 'join', 'n');
                const got1 = collect(a1, 'n');
                const got2 = collect(a2, 'n');
                await ack(b1, 'broadcast', { event: 'n', args: ['root 0'], rooms: ['n'] });
                await ack(b2, 'broadcast', { event: 'n', args: ['custom 0'], rooms: ['n'] });
                await waitFor(() => got1.length === 1 && got2.length === 1, 'the first broadcasts');
                const [id1, id2] = [a1.id, a2.id];
                m.reconnection(false);
                const closed = once(m, 'close');
                m.engine.close();
                await closed;
                await disconnectOf(b1, id1);
                await ack(b1, 'broadcast', { event: 'n', args: ['root 1'], rooms: ['n'] });
                await ack(b2, 'broadcast', { event: 'n', args: ['custom 1'], rooms: ['n'] });
                m.reconnection(true);
                a1.connect();
                a2.connect();
                await Promise.all([once(a1, 'connect', T(5000)), once(a2, 'connect', T(5000))]);
                assert.equal(a1.recovered, true);
                assert.equal(a2.recovered, true);
                assert.equal(a1.id, id1);
                assert.equal(a2.id, id2);
                await waitFor(() => got1.length === 2 && got2.length === 2, 'the missed broadcasts');
                assert.deepEqual(got1.map((e) => e[0]), ['root 0', 'root 1']);
                assert.deepEqual(got2.map((e) => e[0]), ['custom 0', 'custom 1']);
            } finally {
                c.close();
            }
        });
    });
}

describe('offsets on direct emits with --recovery', () => {
    for (const tr of TRANSPORTS) {
        it(`[${tr.name}] message-back and auth carry an offset; acks do not`, async () => {
            const c = new Clients(rec.url);
            try {
                const a = await c.connect('/', tr, { auth: { token: 't' } });
                // with recovery on, every emit to the socket is stored and numbered like a broadcast
                const back = once(a, 'message-back');
                a.emit('message', 1, 'two');
                const args = await back;
                assert.equal(args.length, 3, `message-back got ${JSON.stringify(args)}`);
                assert.deepEqual(args.slice(0, 2), [1, 'two']);
                assert.equal(typeof args[2], 'string', 'an offset after the arguments');
                // an ack is not stored, so it has no offset
                assert.deepEqual(await ack(a, 'message-with-ack', 1, 'two'), [1, 'two']);
                // after a recovery the auth event carries the pid/offset auth and its own offset
                const auth = once(a, 'auth');
                a.io.engine.close();
                await once(a, 'connect', T(5000));
                assert.equal(a.recovered, true);
                const [payload, offset] = await auth;
                assert.equal(payload.token, 't');
                assert.equal(typeof payload.pid, 'string');
                assert.equal(payload.offset, args[2], 'the client sent its last offset');
                assert.equal(typeof offset, 'string');
            } finally {
                c.close();
            }
        });
    }
});
