// socketio-server-api.test.mjs - the server-side utility methods driven through the echo app's
// helpers: fetchSockets (all, by rooms, with data), socketsJoin, socketsLeave, disconnectSockets
// (with and without closing the connection), socket.data, and the handshake details.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, REFERENCE, TRANSPORTS, Clients, once, ack, ack1, T, waitFor, sorted } from './lib/sio.mjs';

let srv;
before(async () => {
    srv = await startServer(['--echo']);
});
after(() => srv.stop());

const byId = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
// query values the client percent-encodes; the server must decode them exactly
const ODD_QUERY = { sp: 'a b', plus: 'a+b', uni: 'é日本🎉', pct: '100%', amp: 'x&y=z?', empty: '', slash: '/a/b', 'k é': 'v' };

for (const tr of TRANSPORTS) {
    describe(`server API [${tr.name}]`, () => {
        let c;
        before(() => (c = new Clients(srv.url)));
        after(() => c.close());

        /** Connects n clients to /custom; client i joins the rooms roomsOf(i). */
        async function group(n, roomsOf, nsp = '/custom') {
            const list = await c.connectMany(n, nsp, tr);
            await Promise.all(list.map(async (s, i) => {
                for (const r of roomsOf(i)) await ack(s, 'join', r);
            }));
            return list;
        }
        const done = (list) => list.forEach((s) => s.disconnect());

        it('fetch-sockets lists every socket of the namespace with its rooms, sorted by id', async () => {
            const tag = `g${Math.random().toString(36).slice(2, 8)}`;
            const list = await group(5, (i) => [tag, `${tag}-${i % 2}`]);
            const all = await ack1(list[0], 'fetch-sockets', { rooms: [tag] });
            const ids = list.map((s) => s.id).sort(byId);
            assert.deepEqual(all.map((x) => x.id), ids);
            for (const x of all) {
                const i = list.findIndex((s) => s.id === x.id);
                assert.deepEqual(sorted(x.rooms), sorted([x.id, tag, `${tag}-${i % 2}`]));
                assert.ok(x.data === undefined || x.data === null || (typeof x.data === 'object' && Object.keys(x.data).length === 0), `initial data ${JSON.stringify(x.data)}`);
            }
            // without rooms: the whole namespace (at least our five)
            const everyone = await ack1(list[0], 'fetch-sockets', {});
            for (const id of ids) assert.ok(everyone.some((x) => x.id === id));
            assert.deepEqual(everyone.map((x) => x.id), everyone.map((x) => x.id).sort(byId), 'sorted by id');
            // several rooms: the union, each socket once
            const odd = await ack1(list[0], 'fetch-sockets', { rooms: [`${tag}-1`, tag] });
            assert.deepEqual(odd.map((x) => x.id), ids);
            const oddOnly = await ack1(list[0], 'fetch-sockets', { rooms: [`${tag}-1`] });
            assert.deepEqual(oddOnly.map((x) => x.id), [list[1].id, list[3].id].sort(byId));
            assert.deepEqual(await ack1(list[0], 'fetch-sockets', { rooms: ['empty-room-xyz'] }), []);
            done(list);
        });

        it('fetch-sockets does not list sockets of another namespace', async () => {
            const a = await c.connect('/', tr);
            const b = await c.connect('/custom', tr);
            assert.ok(!(await ack1(a, 'fetch-sockets', {})).some((x) => x.id === b.id));
            assert.ok(!(await ack1(b, 'fetch-sockets', {})).some((x) => x.id === a.id));
            done([a, b]);
        });

        it('set-data: socket.data is visible in fetch-sockets', async () => {
            const [a, b] = await c.connectMany(2, '/custom', tr);
            const data = { user: 'ana', roles: ['admin'], n: 3, nested: { ok: true }, uni: '✓' };
            assert.deepEqual(await ack(a, 'set-data', data), [true]);
            const seen = await ack1(b, 'fetch-sockets', { rooms: [a.id] });
            assert.equal(seen.length, 1);
            assert.deepEqual(seen[0].data, data);
            assert.deepEqual(await ack(a, 'set-data', 'just a string'), [true]);
            assert.equal((await ack1(b, 'fetch-sockets', { rooms: [a.id] }))[0].data, 'just a string');
            done([a, b]);
        });

        // A known difference: sioc keeps socket.data as JSON only (sio_socket_set_data takes a
        // json_t), so binary values in it come back as placeholders.
        const binaryData = REFERENCE ? {} : { todo: 'sioc: socket.data holds JSON only, not binary' };
        it('set-data with binary values: fetch-sockets gives the Buffers back', binaryData, async () => {
            const [a, b] = await c.connectMany(2, '/custom', tr);
            const data = { avatar: Buffer.from([0, 1, 2, 255]), parts: [Buffer.from('p1'), 'text'] };
            assert.deepEqual(await ack(a, 'set-data', data), [true]);
            const [seen] = await ack1(b, 'fetch-sockets', { rooms: [a.id] });
            assert.ok(Buffer.isBuffer(seen.data.avatar), `avatar is ${JSON.stringify(seen.data.avatar)}`);
            assert.ok(seen.data.avatar.equals(data.avatar));
            assert.ok(Buffer.isBuffer(seen.data.parts[0]) && seen.data.parts[0].equals(data.parts[0]));
            assert.equal(seen.data.parts[1], 'text');
            done([a, b]);
        });

        it('sockets-join makes the matching sockets join a room', async () => {
            const tag = `j${Math.random().toString(36).slice(2, 8)}`;
            const list = await group(6, (i) => (i < 3 ? [`${tag}-src`] : []));
            assert.deepEqual(await ack(list[5], 'sockets-join', { rooms: [`${tag}-src`], join: `${tag}-dst` }), [true]);
            const dst = await ack1(list[5], 'fetch-sockets', { rooms: [`${tag}-dst`] });
            assert.deepEqual(dst.map((x) => x.id), list.slice(0, 3).map((s) => s.id).sort(byId));
            // each socket sees it in its own rooms
            assert.ok((await ack1(list[0], 'rooms')).includes(`${tag}-dst`));
            assert.ok(!(await ack1(list[4], 'rooms')).includes(`${tag}-dst`));
            // several rooms at once, targeting one socket by its id room
            await ack(list[5], 'sockets-join', { rooms: [list[4].id], join: [`${tag}-x`, `${tag}-y`] });
            const r4 = await ack1(list[4], 'rooms');
            assert.ok(r4.includes(`${tag}-x`) && r4.includes(`${tag}-y`));
            // and a broadcast to the new room reaches them
            const got = list.map(() => 0);
            list.forEach((s, i) => s.on('after-join', () => got[i]++));
            await ack(list[5], 'broadcast', { event: 'after-join', args: [], rooms: [`${tag}-dst`], includeSelf: true });
            await waitFor(() => got.slice(0, 3).every((n) => n === 1), 'the room broadcast');
            await ack(list[5], 'broadcast', { event: 'after-join', args: [], includeSelf: true, rooms: [list[5].id] });
            await waitFor(() => got[5] === 1, 'the sentinel');
            assert.deepEqual(got.slice(3, 5), [0, 0]);
            done(list);
        });

        it('sockets-leave makes the matching sockets leave a room', async () => {
            const tag = `l${Math.random().toString(36).slice(2, 8)}`;
            const list = await group(4, (i) => [tag, ...(i % 2 ? [`${tag}-odd`] : [])]);
            assert.deepEqual(await ack(list[0], 'sockets-leave', { rooms: [`${tag}-odd`], leave: tag }), [true]);
            const left = await ack1(list[0], 'fetch-sockets', { rooms: [tag] });
            assert.deepEqual(left.map((x) => x.id), [list[0].id, list[2].id].sort(byId));
            assert.ok(!(await ack1(list[1], 'rooms')).includes(tag));
            // without rooms: every socket of the namespace
            await ack(list[0], 'sockets-leave', { leave: `${tag}-odd` });
            assert.deepEqual(await ack1(list[0], 'fetch-sockets', { rooms: [`${tag}-odd`] }), []);
            done(list);
        });

        it('disconnect-sockets (close false): matching sockets get "io server disconnect", others stay', async () => {
            const tag = `d${Math.random().toString(36).slice(2, 8)}`;
            const list = await group(4, (i) => (i < 2 ? [tag] : []));
            const reasons = list.map(() => null);
            list.forEach((s, i) => s.on('disconnect', (r) => (reasons[i] = r)));
            list[3].emit('disconnect-sockets', { rooms: [tag], close: false });
            await waitFor(() => reasons[0] && reasons[1], 'the disconnections');
            assert.deepEqual(reasons.slice(0, 2), ['io server disconnect', 'io server disconnect']);
            assert.equal(list[0].active, false, 'no automatic reconnection after a server disconnect');
            assert.deepEqual(await ack(list[2], 'message-with-ack', 'alive'), ['alive']);
            assert.deepEqual(reasons.slice(2), [null, null]);
            done(list);
        });

        it('disconnect-sockets (close true) closes the whole connection of the matching sockets', async () => {
            const tag = `k${Math.random().toString(36).slice(2, 8)}`;
            const m = c.manager(tr);
            const root = m.socket('/');
            const custom = m.socket('/custom');
            root.connect();
            custom.connect();
            await Promise.all([once(root, 'connect'), once(custom, 'connect')]);
            await ack(custom, 'join', tag);
            const other = await c.connect('/custom', tr);
            const rootGone = once(root, 'disconnect', T(5000));
            const customGone = once(custom, 'disconnect', T(5000));
            const closed = once(m, 'close', T(5000));
            other.emit('disconnect-sockets', { rooms: [tag], close: true });
            assert.equal((await customGone)[0], 'io server disconnect');
            // the Engine.IO connection is closed; every namespace on it is told first
            await closed;
            assert.equal((await rootGone)[0], 'io server disconnect');
            assert.equal(root.active, false);
            assert.equal(custom.active, false);
            assert.deepEqual(await ack(other, 'message-with-ack', 1), [1]);
            other.disconnect();
        });

        it('handshake: headers, query, auth, address, time, issued, url, xdomain, secure', async () => {
            const before = Date.now();
            const s = await c.connect('/', tr, {
                auth: { who: 'me' },
                query: { foo: 'bar', n: '1', ...ODD_QUERY },
                extraHeaders: { 'x-test': 'hello', 'x-forwarded-for': '10.1.2.3' },
            });
            const hs = await ack1(s, 'handshake');
            assert.equal(hs.headers.host, `127.0.0.1:${srv.port}`);
            assert.equal(hs.headers['x-test'], 'hello');
            assert.equal(hs.headers['x-forwarded-for'], '10.1.2.3');
            assert.equal(hs.query.foo, 'bar');
            assert.equal(hs.query.n, '1');
            for (const [k, v] of Object.entries(ODD_QUERY)) assert.equal(hs.query[k], v, `query ${JSON.stringify(k)}`);
            assert.equal(hs.query.EIO, '4');
            assert.equal(hs.query.transport, tr.opts.transports[0]);
            assert.deepEqual(hs.auth, { who: 'me' });
            assert.match(hs.address, /^(::ffff:)?127\.0\.0\.1$/, 'the peer address, not X-Forwarded-For');
            assert.equal(typeof hs.time, 'string');
            assert.ok(!Number.isNaN(Date.parse(hs.time)), `time ${hs.time}`);
            assert.equal(typeof hs.issued, 'number');
            assert.ok(hs.issued >= before - 1000 && hs.issued <= Date.now() + 1000, `issued ${hs.issued}`);
            assert.equal(typeof hs.url, 'string');
            assert.ok(hs.url.startsWith('/socket.io/?'), hs.url);
            assert.ok(hs.url.includes('foo=bar'), hs.url);
            assert.equal(hs.xdomain, false);
            assert.equal(hs.secure, false);
            s.disconnect();
        });

        it('handshake: a header value with latin1 bytes reads as latin1 (as Node.js decodes it)', async () => {
            const s = await c.connect('/', tr, { extraHeaders: { 'x-latin1': 'caf\u00e9 \u00fc\u00ff' } });
            const hs = await ack1(s, 'handshake');
            assert.equal(hs.headers['x-latin1'], 'caf\u00e9 \u00fc\u00ff');
            s.disconnect();
        });

        it('handshake: repeated headers are joined as Node.js does, names lower-cased', async () => {
            const s = await c.connect('/', tr, { extraHeaders: { 'x-multi': ['a', 'b'], cookie: ['k1=v1', 'k2=v2'], 'X-Upper': 'U' } });
            const hs = await ack1(s, 'handshake');
            assert.equal(hs.headers['x-multi'], 'a, b');
            assert.equal(hs.headers.cookie, 'k1=v1; k2=v2');
            assert.equal(hs.headers['x-upper'], 'U');
            assert.equal(hs.headers['X-Upper'], undefined);
            s.disconnect();
        });

        it('handshake: xdomain is true when an Origin header is sent', async () => {
            const s = await c.connect('/', tr, { extraHeaders: { origin: 'http://example.test' } });
            const hs = await ack1(s, 'handshake');
            assert.equal(hs.headers.origin, 'http://example.test');
            assert.equal(hs.xdomain, true);
            s.disconnect();
        });
    });
}
