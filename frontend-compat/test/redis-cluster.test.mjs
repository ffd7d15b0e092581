// redis-cluster.test.mjs - a sioc node (`sioc --echo --redis URL`) and a Node.js socket.io 4.8 node
// with @socket.io/redis-adapter 8.x (reference/redis-node.mjs) on the same Redis form one cluster:
// broadcasts (rooms, except, binary) cross both ways, fetchSockets / socketsJoin / socketsLeave /
// disconnectSockets select the sockets of both nodes, allRooms sees the rooms of both, serverSideEmit
// reaches the other node, and a broadcast with ack collects the answers of the clients of both nodes
// (or, at its timeout, those that came). With a key (`--redis-key`, the adapter's `key` option)
// a sioc node and a Node.js node with the same key are one cluster, apart from the default one.
//
// Redis: SIOC_TEST_REDIS (e.g. redis://127.0.0.1:56379); the suite is skipped when it is unset.
// With SIOC_REFERENCE=1 both nodes are reference/redis-node.mjs, proving the expectations are the
// Node.js cluster's own behaviour.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { startProcess } from './lib/server.mjs';
import { startServer, REFERENCE, Clients, TRANSPORTS, ack, ack1, once, collect, sleep, waitFor, T } from './lib/sio.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const REDIS = process.env.SIOC_TEST_REDIS;
const WS = TRANSPORTS[1];
const byId = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const tag = (p) => `${p}-${Math.random().toString(36).slice(2, 8)}`;

/** Starts reference/redis-node.mjs; resolves {url, stop()}. */
function startNodeNode(key) {
    const script = path.join(here, '..', 'reference', 'redis-node.mjs');
    const args = [script, '--port', '0', '--redis', REDIS, ...(key ? ['--key', key] : [])];
    return startProcess(process.execPath, args, { startTimeout: T(10000), stopTimeout: T(10000) });
}

describe('Redis adapter: sioc and Node.js nodes in one cluster', { skip: REDIS ? false : 'SIOC_TEST_REDIS is not set (e.g. redis://127.0.0.1:56379)' }, () => {
    let a, b, ca, cb, redis;
    before(async () => {
        redis = createClient({ url: REDIS });
        await redis.connect();
        a = REFERENCE ? await startNodeNode() : await startServer(['--echo', '--redis', REDIS]);
        b = await startNodeNode();
        // both nodes subscribed to the request channels of / and /custom
        for (const nsp of ['/', '/custom']) {
            await waitFor(async () => {
                const n = (await redis.pubSubNumSub(`socket.io-request#${nsp}#`))[`socket.io-request#${nsp}#`];
                assert.ok(n <= 2, `another node is subscribed on ${REDIS} (${n} subscribers)`);
                return n === 2;
            }, `both nodes subscribed on ${nsp}`);
        }
        ca = new Clients(a.url);
        cb = new Clients(b.url);
    });
    after(async () => {
        ca?.close();
        cb?.close();
        await a?.stop();
        await b?.stop();
        await redis?.quit();
    });

    /** n sockets on each node in namespace nsp, each joined to `rooms(i, side)`. */
    async function sockets(n, nsp, rooms = () => []) {
        const sa = await ca.connectMany(n, nsp, WS);
        const sb = await cb.connectMany(n, nsp, WS);
        for (const [side, list] of [['a', sa], ['b', sb]]) {
            for (let i = 0; i < list.length; i++) for (const r of rooms(i, side)) await ack(list[i], 'join', r);
        }
        return [sa, sb];
    }

    it('a broadcast crosses from the sioc node to the Node.js node and back', async () => {
        const [[a1, a2], [b1, b2]] = await sockets(2, '/');
        const got = [a2, b1, b2].map((s) => once(s, 'hello'));
        assert.equal(await ack1(a1, 'broadcast', { event: 'hello', args: [1, 'two', { three: [3.5, null, true] }] }), true);
        for (const p of got) assert.deepEqual(await p, [1, 'two', { three: [3.5, null, true] }]);
        const back = [a1, a2, b2].map((s) => once(s, 'back'));
        await ack1(b1, 'broadcast', { event: 'back', args: ['from node', -70000, 2 ** 40] });
        for (const p of back) assert.deepEqual(await p, ['from node', -70000, 2 ** 40]);
    });

    it('rooms and except select the same sockets on both nodes', async () => {
        const r1 = tag('r1');
        const r2 = tag('r2');
        // socket i joins r1; odd ones also r2
        const [sa, sb] = await sockets(4, '/custom', (i) => (i % 2 ? [r1, r2] : [r1]));
        for (const [from, list] of [[sa[0], [...sa, ...sb]], [sb[0], [...sb, ...sa]]]) {
            const ev = tag('ev');
            const seen = list.map((s) => collect(s, ev));
            await ack1(from, 'broadcast', { event: ev, args: ['x'], rooms: [r1], except: [r2] });
            const expected = list.map((s, i) => s !== from && ![sa, sb].some((l) => l.indexOf(s) % 2 === 1));
            await waitFor(() => seen.every((got, i) => got.length === (expected[i] ? 1 : 0)), 'the room broadcast');
            await sleep(T(200));
            assert.deepEqual(seen.map((got) => got.length), expected.map((e) => (e ? 1 : 0)));
            // one room: published on the room's own channel
            const ev2 = tag('ev');
            const seen2 = list.map((s) => collect(s, ev2));
            await ack1(from, 'broadcast', { event: ev2, args: [], rooms: [r2] });
            const expected2 = list.map((s) => s !== from && [sa, sb].some((l) => l.indexOf(s) % 2 === 1));
            await waitFor(() => seen2.every((got, i) => got.length === (expected2[i] ? 1 : 0)), 'the one-room broadcast');
        }
    });

    it('binary arguments cross as binary', async () => {
        const [[a1], [b1]] = await sockets(1, '/');
        const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
        let p = once(b1, 'bin');
        await ack1(a1, 'broadcast', { event: 'bin', args: [bytes, { nested: bytes }] });
        let [x, y] = await p;
        assert.ok(Buffer.isBuffer(x) && x.equals(bytes));
        assert.ok(Buffer.from(y.nested).equals(bytes));
        p = once(a1, 'bin');
        await ack1(b1, 'broadcast', { event: 'bin', args: [bytes, { nested: bytes }] });
        [x, y] = await p;
        assert.ok(Buffer.from(x).equals(bytes));
        assert.ok(Buffer.from(y.nested).equals(bytes));
    });

    it('fetch-sockets lists the sockets of both nodes, with rooms and data', async () => {
        const t = tag('f');
        const [sa, sb] = await sockets(2, '/custom', (i, side) => [t, `${t}-${side}`]);
        await Promise.all([...sa, ...sb].map((s, i) => ack(s, 'set-data', { i, name: `s${i}` })));
        const all = [...sa, ...sb];
        for (const asker of [sa[0], sb[0]]) {
            const list = await ack1(asker, 'fetch-sockets', { rooms: [t] });
            assert.deepEqual(list.map((x) => x.id), all.map((s) => s.id).sort(byId));
            for (const x of list) {
                const i = all.findIndex((s) => s.id === x.id);
                const side = i < 2 ? 'a' : 'b';
                // (the sioc echo app does not sort the rooms of remote sockets: compare as sets)
                assert.deepEqual([...x.rooms].sort(), [x.id, t, `${t}-${side}`].sort());
                assert.deepEqual(x.data, { i, name: `s${i}` });
            }
            const only = await ack1(asker, 'fetch-sockets', { rooms: [`${t}-b`] });
            assert.deepEqual(only.map((x) => x.id), sb.map((s) => s.id).sort(byId));
        }
    });

    it('sockets-join and sockets-leave reach the sockets of the other node', async () => {
        const t = tag('j');
        const extra = tag('x');
        const [sa, sb] = await sockets(1, '/', () => [t]);
        const has = async (s) => (await ack1(s, 'rooms')).includes(extra);
        for (const [asker, other] of [[sa[0], sb[0]], [sb[0], sa[0]]]) {
            // sioc applies a join/leave to its own sockets before it acks; @socket.io/redis-adapter
            // only publishes it and applies it when its own request comes back from Redis, so on a
            // Node.js node the asker's own change can land after the other node's
            const own = asker === sa[0] && !REFERENCE
                ? async (want, what) => assert.equal(await has(asker), want, what)
                : (want, what) => waitFor(async () => (await has(asker)) === want, what);
            await ack1(asker, 'sockets-join', { rooms: [t], join: extra });
            await waitFor(() => has(other), 'the remote join');
            await own(true, 'the own join');
            await ack1(asker, 'sockets-leave', { rooms: [t], leave: extra });
            await waitFor(async () => !(await has(other)), 'the remote leave');
            await own(false, 'the own leave');
        }
    });

    it('disconnect-sockets disconnects the selected sockets of the other node only', async () => {
        const t = tag('d');
        // sb[0] is in `${t}-b`, sa[0] in `${t}-a`: each asker selects a socket of the other node
        const [sa, sb] = await sockets(2, '/custom', (i, side) => (i === 0 ? [`${t}-${side}`] : []));
        for (const [asker, room, victim, spared] of [[sa[1], `${t}-b`, sb[0], sb[1]], [sb[1], `${t}-a`, sa[0], sa[1]]]) {
            const gone = once(victim, 'disconnect');
            asker.emit('disconnect-sockets', { rooms: [room], close: false });
            assert.equal((await gone)[0], 'io server disconnect');
            await sleep(T(100));
            assert.ok(spared.connected && asker.connected);
        }
    });

    it('allRooms of the Node.js node includes the rooms of the sioc node', async () => {
        const t = tag('ar');
        const [sa, sb] = await sockets(1, '/custom', (i, side) => [`${t}-${side}`]);
        const rooms = await ack1(sb[0], 'all-rooms');
        assert.ok(Array.isArray(rooms), JSON.stringify(rooms));
        for (const r of [`${t}-a`, `${t}-b`, sa[0].id, sb[0].id]) assert.ok(rooms.includes(r), `${r} missing`);
    });

    it('server-side-emit from the sioc node reaches the Node.js node', async () => {
        const [[a1], [b1]] = await sockets(1, '/');
        const got = once(b1, 'server-side');
        a1.emit('server-side-emit', 'ss-hello', [1, 'two', { three: 3 }]);
        assert.deepEqual(await got, ['/', 'ss-hello', 1, 'two', { three: 3 }]);
    });

    it('server-side-emit from the Node.js node reaches the sioc node', async () => {
        const [[a1], [b1]] = await sockets(1, '/');
        const got = once(a1, 'server-side', T(2000));
        b1.emit('server-side-emit', 'ss-hello', [{ from: 'node' }, 2]);
        assert.deepEqual(await got, ['/', 'ss-hello', { from: 'node' }, 2]);
    });

    it('serverSideEmitWithAck from the Node.js node gets the sioc node\'s answer', async () => {
        const [, [b1]] = await sockets(1, '/');
        const res = await ack1(b1, 'server-side-emit-with-ack', 'ss-ack', ['q']);
        assert.deepEqual(res, { err: null, responses: ['ack:ss-ack'] });
    });

    it('broadcast-with-ack collects the answers of the clients of both nodes', async () => {
        const t = tag('b');
        const [sa, sb] = await sockets(2, '/custom', () => [t]);
        const all = [...sa, ...sb];
        for (const s of all) s.on('ask', (q, cbk) => cbk(`${q}:${s.id}`));
        for (const asker of [sa[0], sb[0]]) {
            const res = await ack1(asker, 'broadcast-with-ack', { event: 'ask', args: ['q'], rooms: [t], timeout: T(3000) });
            assert.equal(res.err, null);
            const expected = all.filter((s) => s !== asker).map((s) => `q:${s.id}`);
            assert.deepEqual([...res.responses].sort(), expected.sort());
        }
    });

    it('broadcast-with-ack times out with the answers that came when a remote client stays silent', async () => {
        const t = tag('s');
        const [sa, sb] = await sockets(1, '/', () => [t]);
        sa[0].on('ask2', (cbk) => cbk('from-a'));
        sb[0].on('ask2', () => {}); // never answers
        const [asker] = await ca.connectMany(1, '/', WS);
        const res = await ack1(asker, 'broadcast-with-ack', { event: 'ask2', args: [], rooms: [t], timeout: T(500) });
        assert.equal(res.err, 'operation has timed out');
        assert.deepEqual(res.responses, ['from-a']);
    });
});

describe('Redis adapter: the key (--redis-key) keeps clusters on one Redis apart', { skip: REDIS ? false : 'SIOC_TEST_REDIS is not set' }, () => {
    const key = tag('app');
    let a, b, other, ca, cb, co, redis;
    before(async () => {
        redis = createClient({ url: REDIS });
        await redis.connect();
        a = REFERENCE ? await startNodeNode(key) : await startServer(['--echo', '--redis', REDIS, '--redis-key', key]);
        b = await startNodeNode(key);
        other = REFERENCE ? await startNodeNode() : await startServer(['--echo', '--redis', REDIS]);
        const ch = `${key}-request#/#`;
        await waitFor(async () => (await redis.pubSubNumSub(ch))[ch] === 2, 'both keyed nodes subscribed');
        ca = new Clients(a.url);
        cb = new Clients(b.url);
        co = new Clients(other.url);
    });
    after(async () => {
        for (const c of [ca, cb, co]) c?.close();
        for (const n of [a, b, other]) await n?.stop();
        await redis?.quit();
    });

    it('a broadcast reaches the nodes with the same key, and no node of another key', async () => {
        const [a1] = await ca.connectMany(1, '/', WS);
        const [b1] = await cb.connectMany(1, '/', WS);
        const [o1] = await co.connectMany(1, '/', WS);
        const ev = tag('ev');
        const atOther = collect(o1, ev);
        const atB = once(b1, ev);
        assert.equal(await ack1(a1, 'broadcast', { event: ev, args: ['keyed'] }), true);
        assert.deepEqual(await atB, ['keyed']);
        const back = once(a1, ev);
        await ack1(b1, 'broadcast', { event: ev, args: ['back'] });
        assert.deepEqual(await back, ['back']);
        // the default-key node's broadcast stays in its own cluster too
        const ev2 = tag('ev');
        const atA = collect(a1, ev2);
        await ack1(o1, 'broadcast', { event: ev2, args: [] });
        await sleep(T(300));
        assert.equal(atOther.length, 0, 'the other cluster heard the keyed broadcasts');
        assert.equal(atA.length, 0, 'the keyed cluster heard the default one');
    });
});
