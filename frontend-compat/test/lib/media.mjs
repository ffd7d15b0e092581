// media.mjs - helpers of the attachment suites (test/media-*.test.mjs, test/web-media.test.mjs):
// a real PNG written from the specification (no image library in the tests), and an upload to
// POST /v1/api/attachments.
import zlib from "node:zlib";
import { api } from "./chat.mjs";

/** A real PNG of w x h pixels (RGB gradient), written from the specification. */
export function png(w = 64, h = 48) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set([(x * 255) / w, (y * 255) / h, 160], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** POST /v1/api/attachments?name=... with `body` as the raw file. */
export function upload(server, who, body, { name, type = "application/octet-stream", headers = {} } = {}) {
  const q = name === undefined ? "" : `?name=${encodeURIComponent(name)}`;
  return api(server, "POST", `/v1/api/attachments${q}`, {
    token: who?.token,
    body,
    headers: { "content-type": type, ...headers },
  });
}

