// socketio-rooms.test.mjs - rooms and broadcasts across 20 clients: join/leave/rooms, broadcast to
// the namespace, to one room, to several rooms (each client once), except rooms, includeSelf,
// volatile, broadcast with ack collecting every answer, and with a client that does not answer
// (error + partial responses). Non-delivery is checked with a sentinel broadcast sent afterwards:
// events to one client keep their order, so a client that got the sentinel but not the event will
// never get it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TRANSPORTS, Clients, ack, ack1, T, waitFor, sleep, sorted } from './lib/sio.mjs';

let srv;
before(async () => {
    srv = await startServer(['--echo']);
});
after(() => srv.stop());

const N = 20;

for (const tr of TRANSPORTS) {
    describe(`rooms and broadcasts [${tr.name}]`, () => {
        let c, clients, inbox;
        let seq = 0;

        before(async () => {
            c = new Clients(srv.url);
            clients = await c.connectMany(N, '/', tr);
            inbox = clients.map(() => []);
            clients.forEach((s, i) => {
                s.onAny((event, ...args) => {
                    if (event !== 'auth') inbox[i].push([event, ...args]);
                });
            });
            // rooms: even, three (multiples of 3), all; and each client's own "c<i>"
            await Promise.all(
                clients.map(async (s, i) => {
                    if (i % 2 === 0) await ack(s, 'join', 'even');
                    if (i % 3 === 0) await ack(s, 'join', 'three');
                    await ack(s, 'join', 'all');
                    await ack(s, 'join', `c${i}`);
                }),
            );
        });
        after(() => c.close());

        /**
         * Runs `broadcast` from client `from` with `opts`, then a sentinel to everyone, and returns
         * for each client the list of the event's argument arrays it received.
         */
        async function broadcastAndCollect(from, opts) {
            const event = `ev${++seq}`;
            const sentinel = `sentinel${seq}`;
            inbox.forEach((l) => (l.length = 0));
            assert.deepEqual(await ack(clients[from], 'broadcast', { event, ...opts }), [true]);
            assert.deepEqual(await ack(clients[from], 'broadcast', { event: sentinel, args: [], includeSelf: true }), [true]);
            await waitFor(() => inbox.every((l) => l.some((e) => e[0] === sentinel)), 'the sentinel on every client', T(10000));
            return inbox.map((l) => l.filter((e) => e[0] === event).map((e) => e.slice(1)));
        }

        const idx = (pred) => clients.map((_, i) => i).filter(pred);
        function assertReceivers(got, expected, args) {
            const receivers = idx((i) => got[i].length > 0);
            assert.deepEqual(receivers, expected, 'the clients that received the broadcast');
            for (const i of expected) assert.deepEqual(got[i], [args], `client ${i} got it exactly once`);
        }

        it('join / leave / rooms answer the sorted room list (own id room included)', async () => {
            const s = clients[1];
            const base = sorted([s.id, 'all', 'c1']);
            assert.deepEqual(await ack1(s, 'rooms'), base);
            assert.deepEqual(await ack1(s, 'join', 'zeta'), sorted([...base, 'zeta']));
            assert.deepEqual(await ack1(s, 'join', 'alpha'), sorted([...base, 'zeta', 'alpha']));
            assert.deepEqual(await ack1(s, 'join', 'alpha'), sorted([...base, 'zeta', 'alpha']), 'joining twice is a no-op');
            assert.deepEqual(await ack1(s, 'leave', 'zeta'), sorted([...base, 'alpha']));
            assert.deepEqual(await ack1(s, 'leave', 'not-a-member'), sorted([...base, 'alpha']));
            assert.deepEqual(await ack1(s, 'leave', 'alpha'), base);
            assert.deepEqual(await ack1(s, 'rooms'), base);
            assert.deepEqual(await ack1(clients[0], 'rooms'), sorted([clients[0].id, 'all', 'c0', 'even', 'three']));
            assert.deepEqual(await ack1(clients[6], 'rooms'), sorted([clients[6].id, 'all', 'c6', 'even', 'three']));
        });

        it('unicode and odd room names', async () => {
            const s = clients[3];
            const names = ['salle-é', '房间', 'with space', '', 'a/b#c'];
            for (const n of names) await ack(s, 'join', n);
            const rooms = await ack1(s, 'rooms');
            for (const n of names) assert.ok(rooms.includes(n), `room ${JSON.stringify(n)}`);
            for (const n of names) await ack(s, 'leave', n);
            assert.deepEqual(await ack1(s, 'rooms'), sorted([s.id, 'all', 'c3', 'three']));
        });

        it('broadcast to the namespace reaches everyone but the sender', async () => {
            const args = ['hello', { n: 1 }, 'ü'];
            const got = await broadcastAndCollect(4, { args });
            assertReceivers(got, idx((i) => i !== 4), args);
        });

        it('broadcast to one room', async () => {
            const got = await broadcastAndCollect(0, { args: ['to even'], rooms: ['even'] });
            assertReceivers(got, idx((i) => i % 2 === 0 && i !== 0), ['to even']);
        });

        it('broadcast from outside a room to that room', async () => {
            const got = await broadcastAndCollect(1, { args: [1], rooms: ['three'] });
            assertReceivers(got, idx((i) => i % 3 === 0), [1]);
        });

        it('broadcast to a socket id room reaches that socket only', async () => {
            const got = await broadcastAndCollect(2, { args: ['private'], rooms: [clients[7].id] });
            assertReceivers(got, [7], ['private']);
        });

        it('broadcast to several rooms: each client once', async () => {
            const got = await broadcastAndCollect(1, { args: ['multi'], rooms: ['even', 'three'] });
            assertReceivers(got, idx((i) => i % 2 === 0 || i % 3 === 0), ['multi']);
        });

        it('broadcast to several overlapping rooms including "all": each client once', async () => {
            const got = await broadcastAndCollect(5, { args: ['x'], rooms: ['all', 'even', 'three', 'c9'] });
            assertReceivers(got, idx((i) => i !== 5), ['x']);
        });

        it('broadcast to an empty room reaches nobody', async () => {
            const got = await broadcastAndCollect(0, { args: ['void'], rooms: ['nobody-here'] });
            assertReceivers(got, [], ['void']);
        });

        it('broadcast except a room', async () => {
            const got = await broadcastAndCollect(1, { args: ['odd only'], except: ['even'] });
            assertReceivers(got, idx((i) => i % 2 === 1 && i !== 1), ['odd only']);
        });

        it('broadcast except socket id rooms', async () => {
            const got = await broadcastAndCollect(0, { args: ['not 3, 4'], except: [clients[3].id, clients[4].id] });
            assertReceivers(got, idx((i) => i !== 0 && i !== 3 && i !== 4), ['not 3, 4']);
        });

        it('broadcast to a room except another room', async () => {
            const got = await broadcastAndCollect(2, { args: ['3,9,15'], rooms: ['three'], except: ['even'] });
            assertReceivers(got, [3, 9, 15], ['3,9,15']);
        });

        it('broadcast except several rooms', async () => {
            const got = await broadcastAndCollect(1, { args: ['e'], except: ['even', 'three', 'c5'] });
            assertReceivers(got, idx((i) => i % 2 !== 0 && i % 3 !== 0 && i !== 1 && i !== 5), ['e']);
        });

        it('includeSelf: the sender receives its own broadcast', async () => {
            const got = await broadcastAndCollect(0, { args: ['me too'], rooms: ['even'], includeSelf: true });
            assertReceivers(got, idx((i) => i % 2 === 0), ['me too']);
            const got2 = await broadcastAndCollect(3, { args: ['all'], includeSelf: true });
            assertReceivers(got2, idx(() => true), ['all']);
        });

        it('includeSelf with except excluding the sender room', async () => {
            const got = await broadcastAndCollect(0, { args: ['y'], includeSelf: true, except: ['three'] });
            assertReceivers(got, idx((i) => i % 3 !== 0), ['y']);
        });

        it('volatile broadcast is delivered to idle (writable) clients, at most once', async () => {
            await sleep(T(300)); // let every polling client have its GET pending
            const got = await broadcastAndCollect(0, { args: ['volatile'], volatile: true, rooms: ['all'] });
            for (let i = 1; i < N; i++) assert.ok(got[i].length <= 1, `client ${i} got it ${got[i].length} times`);
            assertReceivers(got, idx((i) => i !== 0), ['volatile']);
        });

        it('local and compress flags do not change delivery on one node', async () => {
            const got = await broadcastAndCollect(0, { args: ['l'], local: true, compress: false, rooms: ['three'] });
            assertReceivers(got, idx((i) => i % 3 === 0 && i !== 0), ['l']);
        });

        it('a burst of broadcasts keeps its order on every client', async () => {
            inbox.forEach((l) => (l.length = 0));
            const M = 30;
            for (let k = 0; k < M; k++) clients[k % N].emit('broadcast', { event: 'burst', args: [k], includeSelf: true });
            // all from different senders: order per sender is kept; check each sender's sequence
            await waitFor(() => inbox.every((l) => l.filter((e) => e[0] === 'burst').length >= M), 'the burst', T(10000));
            for (let i = 0; i < N; i++) {
                const seen = inbox[i].filter((e) => e[0] === 'burst').map((e) => e[1]);
                assert.equal(seen.length, M, `client ${i} got each burst event once`);
                for (let sender = 0; sender < N; sender++) {
                    const fromSender = seen.filter((k) => k % N === sender);
                    assert.deepEqual(fromSender, [...fromSender].sort((a, b) => a - b), `order from sender ${sender} on client ${i}`);
                }
            }
            // one sender, many broadcasts: strict order
            inbox.forEach((l) => (l.length = 0));
            for (let k = 0; k < M; k++) clients[0].emit('broadcast', { event: 'seq', args: [k] });
            await waitFor(() => inbox.slice(1).every((l) => l.length >= M), 'the sequence', T(10000));
            for (let i = 1; i < N; i++) assert.deepEqual(inbox[i].map((e) => e[1]), Array.from({ length: M }, (_, k) => k));
        });

        it('broadcast-with-ack collects one response per client', async () => {
            clients.forEach((s, i) => s.on('poll', (q, cb) => cb({ i, q })));
            const res = await ack1(clients[0], 'broadcast-with-ack', { event: 'poll', args: ['q1'], timeout: T(3000) });
            assert.equal(res.err, null);
            assert.equal(res.responses.length, N - 1);
            assert.deepEqual(
                res.responses.map((r) => r.i).sort((a, b) => a - b),
                idx((i) => i !== 0),
            );
            for (const r of res.responses) assert.equal(r.q, 'q1');
        });

        it('broadcast-with-ack to a room', async () => {
            const res = await ack1(clients[1], 'broadcast-with-ack', { event: 'poll', args: ['q2'], rooms: ['three'], timeout: T(3000) });
            assert.equal(res.err, null);
            assert.deepEqual(
                res.responses.map((r) => r.i).sort((a, b) => a - b),
                idx((i) => i % 3 === 0),
            );
        });

        it('broadcast-with-ack to nobody answers at once with no responses', async () => {
            const t0 = Date.now();
            const res = await ack1(clients[1], 'broadcast-with-ack', { event: 'poll', args: [], rooms: ['nobody-here'], timeout: T(4000) });
            assert.deepEqual(res, { err: null, responses: [] });
            assert.ok(Date.now() - t0 < T(3000), 'did not wait for the timeout');
        });

        it('broadcast-with-ack with a client that does not answer: error and partial responses', async () => {
            clients[5].off('poll');
            clients[11].off('poll');
            let silentGotIt = 0;
            clients[5].on('poll', () => silentGotIt++);
            const t0 = Date.now();
            const res = await ack1(clients[0], 'broadcast-with-ack', { event: 'poll', args: ['q3'], timeout: 500 });
            assert.ok(Date.now() - t0 >= 480, 'waited for the timeout');
            assert.equal(typeof res.err, 'string');
            assert.ok(res.err.length > 0);
            assert.deepEqual(
                res.responses.map((r) => r.i).sort((a, b) => a - b),
                idx((i) => i !== 0 && i !== 5 && i !== 11),
            );
            assert.equal(silentGotIt, 1, 'the silent client received the event');
            clients[5].off('poll');
            clients[5].on('poll', (q, cb) => cb({ i: 5, q }));
            clients[11].on('poll', (q, cb) => cb({ i: 11, q }));
        });

        it('a client that answers after the broadcast timeout does not disturb the next one', async () => {
            clients[2].off('poll');
            clients[2].on('poll', (q, cb) => setTimeout(() => cb({ i: 2, q, late: true }), 400));
            const res = await ack1(clients[0], 'broadcast-with-ack', { event: 'poll', args: ['q4'], rooms: ['even'], timeout: 200 });
            assert.equal(typeof res.err, 'string');
            assert.ok(!res.responses.some((r) => r.i === 2));
            await sleep(400);
            clients[2].off('poll');
            clients[2].on('poll', (q, cb) => cb({ i: 2, q }));
            const res2 = await ack1(clients[0], 'broadcast-with-ack', { event: 'poll', args: ['q5'], rooms: ['even'], timeout: T(3000) });
            assert.equal(res2.err, null);
            assert.deepEqual(
                res2.responses.map((r) => r.i).sort((a, b) => a - b),
                idx((i) => i % 2 === 0 && i !== 0),
            );
            for (const r of res2.responses) assert.equal(r.q, 'q5');
        });

        it('a socket that left a room no longer gets its broadcasts; rooms are per namespace', async () => {
            await ack(clients[4], 'leave', 'even');
            const got = await broadcastAndCollect(0, { args: ['z'], rooms: ['even'] });
            assertReceivers(got, idx((i) => i % 2 === 0 && i !== 0 && i !== 4), ['z']);
            await ack(clients[4], 'join', 'even');
            // a /custom socket in a room named "even" is not reached by a broadcast on /
            const other = await c.connect('/custom', tr);
            let hit = 0;
            other.on('ns-check', () => hit++);
            await ack(other, 'join', 'even');
            await broadcastAndCollect(0, { event: 'ns-check', args: [], rooms: ['even'] });
            assert.equal(hit, 0);
            other.disconnect();
        });

        it('500 rooms per socket: a broadcast to all of them reaches each client once', async () => {
            const many = Array.from({ length: 500 }, (_, k) => `many-${k}`);
            assert.deepEqual(await ack(clients[0], 'sockets-join', { rooms: ['even'], join: many }), [true]);
            const r2 = await ack1(clients[2], 'rooms');
            for (const room of many) assert.ok(r2.includes(room), room);
            const got = await broadcastAndCollect(1, { args: ['wide'], rooms: many });
            assertReceivers(got, idx((i) => i % 2 === 0), ['wide']);
            assert.deepEqual(await ack(clients[0], 'sockets-leave', { rooms: ['even'], leave: many }), [true]);
            assert.deepEqual(await ack1(clients[0], 'fetch-sockets', { rooms: ['many-7'] }), []);
        });

        it('a disconnected socket leaves all its rooms', async () => {
            const extra = await c.connect('/', tr);
            await ack(extra, 'join', 'even');
            const before = await ack1(clients[0], 'fetch-sockets', { rooms: ['even'] });
            assert.ok(before.some((x) => x.id === extra.id));
            extra.disconnect();
            await waitFor(async () => !(await ack1(clients[0], 'fetch-sockets', { rooms: ['even'] })).some((x) => x.id === extra.id), 'the socket to leave the room');
        });
    });
}

for (const tr of TRANSPORTS) {
    describe(`broadcast with ack and a receiver that goes away [${tr.name}]`, () => {
        let c;
        before(() => (c = new Clients(srv.url)));
        after(() => c.close());

        it('a receiver that disconnects instead of answering: error and the other responses', async () => {
            const [sender, ...receivers] = await c.connectMany(4, '/custom', tr);
            for (const r of receivers) await ack(r, 'join', 'leaving');
            receivers[0].on('q', (cb) => cb('r0'));
            receivers[1].on('q', () => receivers[1].disconnect());
            receivers[2].on('q', (cb) => setTimeout(() => cb('r2'), 50));
            const t0 = Date.now();
            const res = await ack1(sender, 'broadcast-with-ack', { event: 'q', args: [], rooms: ['leaving'], timeout: 600 });
            assert.equal(typeof res.err, 'string', 'the missing answer makes it time out');
            assert.ok(Date.now() - t0 >= 550);
            assert.deepEqual([...res.responses].sort(), ['r0', 'r2']);
        });
    });
}
