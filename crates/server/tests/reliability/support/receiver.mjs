// The merchant's receiver in the outbox tests: verifies every delivery with the official
// Standard Webhooks library for Node (npm `standardwebhooks`, installed in examples/receiver
// by `cargo xtask setup`), processes each event id once, and misbehaves on request.
//
// Environment: RECEIVER_SECRET (whsec_…), STANDARDWEBHOOKS_FROM (a file in the directory whose
// node_modules holds the library). Prints {"url": …} on its first line.
//
// POST /hook      a delivery. Modes (POST /__mode {"mode": …, "slow_ms": …}):
//                 ok: 204; fail: 500; hang: no answer; slow: 200 after slow_ms;
//                 gone: 410; redirect: 302 to elsewhere.
// GET  /__log     {"attempts": [...], "processed": {id: sequence}, "acked": {id: 2xx answers},
//                  "booked": events in the order they were processed}

import { createRequire } from "node:module";
import http from "node:http";

const require = createRequire(process.env.STANDARDWEBHOOKS_FROM);
const { Webhook } = require("standardwebhooks");

const webhook = new Webhook(process.env.RECEIVER_SECRET);
let mode = "ok";
let slowMs = 0;
const attempts = [];
const processed = {};
const acked = {};
const booked = [];
const hanging = [];

function body(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const server = http.createServer(async (req, res) => {
  const text = await body(req);
  if (req.url === "/__mode" && req.method === "POST") {
    const wanted = JSON.parse(text);
    mode = wanted.mode;
    slowMs = wanted.slow_ms ?? 0;
    res.writeHead(204).end();
    return;
  }
  if (req.url === "/__log") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ attempts, processed, acked, booked }));
    return;
  }
  if (req.url !== "/hook" || req.method !== "POST") {
    res.writeHead(404).end();
    return;
  }
  const attempt = {
    id: req.headers["webhook-id"] ?? null,
    at: Date.now(),
    mode,
    verified: false,
  };
  attempts.push(attempt);
  let event;
  try {
    event = webhook.verify(text, req.headers);
    attempt.verified = true;
    attempt.type = event.type;
    attempt.order_id = event.data.order_id;
    attempt.sequence = event.data.sequence;
  } catch (e) {
    attempt.error = String(e);
    res.writeHead(400).end();
    return;
  }
  // Processing once by id: a repeat is acknowledged, counted, and never processed again.
  const acknowledge = (status) => {
    if (!(attempt.id in processed)) {
      processed[attempt.id] = attempt.sequence;
      booked.push({
        id: attempt.id,
        order_id: attempt.order_id,
        sequence: attempt.sequence,
        type: attempt.type,
        at: Date.now(),
      });
    }
    acked[attempt.id] = (acked[attempt.id] ?? 0) + 1;
    res.writeHead(status).end();
  };
  switch (mode) {
    case "fail":
      res.writeHead(500).end("down for maintenance");
      return;
    case "hang":
      hanging.push(res);
      return;
    case "gone":
      res.writeHead(410).end();
      return;
    case "redirect":
      res.writeHead(302, { location: "http://127.0.0.1:9/elsewhere" }).end();
      return;
    case "slow":
      setTimeout(() => {
        if (!res.destroyed) acknowledge(200);
      }, slowMs);
      return;
    default:
      acknowledge(204);
  }
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});

// The test closes stdin when it is done (or dies): then so does the receiver.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
