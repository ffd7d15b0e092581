// capture-vectors.mjs - captures what the Node.js adapter puts on Redis, for rda_vectors.h.
// ESM resolves packages next to the script, so run a copy beside frontend-compat's node_modules:
//   mkdir /tmp/cap && cp tests/redis/capture-vectors.mjs /tmp/cap/ &&
//   ln -s $PWD/frontend-compat/node_modules /tmp/cap/ && echo '{"type":"module"}' > /tmp/cap/package.json
//   node /tmp/cap/capture-vectors.mjs redis://127.0.0.1:PORT > vectors.json
// Output: [{channel, hex}] in publishing order (a PSUBSCRIBE socket.io* spy sees everything).
import http from 'node:http';
import { Server } from 'socket.io';
import { io as ioc } from 'socket.io-client';
import { createClient } from 'redis';
import { createAdapter } from '@socket.io/redis-adapter';
import msgpack from 'notepack.io';
const URL = process.argv[2];
const pub = createClient({ url: URL }); const sub = pub.duplicate(); const spy = pub.duplicate(); const raw = pub.duplicate();
await Promise.all([pub.connect(), sub.connect(), spy.connect(), raw.connect()]);
const out = [];
await spy.pSubscribe('socket.io*', (msg, channel) => out.push({ channel, hex: msg.toString('hex') }), true);
const srv = http.createServer();
const io = new Server(srv, { adapter: createAdapter(pub, sub) });
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
io.on('connection', (s) => { s.data = { user: 'ann', n: 1 }; s.join('room1'); s.on('ask', (q, cb) => cb({ bin: Buffer.from([9, 8, 7]), q })); });
const c = ioc(`http://127.0.0.1:${srv.address().port}`, { transports: ['websocket'] });
c.on('ask', (q, cb) => cb({ bin: Buffer.from([9, 8, 7]), q }));
await new Promise((r) => c.on('connect', r));
await new Promise((r) => setTimeout(r, 200));
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
io.emit('hello', 1, 'two', { three: [3.5, null, true] }); await wait(50);
io.to('room1').emit('bin', Buffer.from([0, 1, 2, 255]), { n: -1 }); await wait(50);
io.to(['a', 'b']).except('c').volatile.compress(false).emit('x', 2 ** 40, -70000, 1.5, 'é€'); await wait(50);
io.serverSideEmit('ss-hello', 1, 'two'); await wait(50);
io.in('room1').socketsJoin('r2'); await wait(50);
io.in('room1').socketsLeave('r2'); await wait(50);
io.except('room1').disconnectSockets(true); await wait(50);
io.fetchSockets().catch(() => {}); await wait(50);
io.serverSideEmitWithAck('ss-ack', 'q').catch(() => {}); await wait(50);
io.timeout(300).emit('ask', 'q1', () => {}); await wait(400);
// requests answered by the node: fetch, all rooms, broadcast with ack
await raw.publish('socket.io-request#/#', JSON.stringify({ uid: 'XXXXXX', requestId: 'req001', type: 5, opts: { rooms: ['room1'], except: [] } }));
await raw.publish('socket.io-request#/#', JSON.stringify({ uid: 'XXXXXX', requestId: 'req002', type: 1 }));
await raw.publish('socket.io-request#/#', msgpack.encode({ uid: 'XXXXXX', requestId: 'req003', type: 7, packet: { type: 2, data: ['ask', 'q3'], nsp: '/' }, opts: { rooms: [], except: [], flags: { timeout: 500 } } }));
await wait(600);
process.stdout.write(JSON.stringify(out, null, 1));
c.close(); io.close(); await Promise.allSettled([pub.quit(), sub.quit(), spy.quit(), raw.quit()]); process.exit(0);
