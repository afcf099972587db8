// A minimal merchant receiver of Kassa's order events.
//
// Kassa POSTs one JSON event per order change (order.paid, order.invoiced, order.cancelled,
// …) to each URL in its [outbox.endpoints], signed per the Standard Webhooks spec. This
// receiver verifies the signature with the spec's official Node library (npm
// `standardwebhooks`), processes each event id once, and prints the booking.
//
//   npm ci
//   KASSA_WEBHOOK_SECRET=whsec_… PORT=8787 node receiver.mjs
//
// Answer 2xx only once the event is safely yours: anything else (or no answer within 15 s)
// makes Kassa retry, with the same webhook-id, for more than three days.

import http from "node:http";
import { Webhook } from "standardwebhooks";

const webhook = new Webhook(process.env.KASSA_WEBHOOK_SECRET);
const port = Number(process.env.PORT ?? 8787);

// Event ids already processed. A real system keeps them in its database, written in the
// same transaction as the booking, so that a redelivery after a crash is still recognised.
const processed = new Set();

function money({ amount_minor, currency }) {
  const format = new Intl.NumberFormat("en", { style: "currency", currency });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(amount_minor / 10 ** digits);
}

function describe(event) {
  const { data } = event;
  const lines = data.lines
    .map((l) => `${l.quantity} × ${l.name}${l.start_date ? ` (${l.start_date})` : ""}`)
    .join(", ");
  const who = data.customer?.name ?? data.customer?.email ?? "a customer";
  return `${event.type} ${data.order_id}: ${money(data.total)} by ${data.provider} for ${lines}, booked by ${who}`;
}

const server = http.createServer((req, res) => {
  if (req.method !== "POST") {
    res.writeHead(405).end();
    return;
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    // Verify the raw body exactly as it came: parsing and re-serialising breaks the signature.
    const body = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      event = webhook.verify(body, req.headers);
    } catch (e) {
      console.error(`refused a delivery: ${e.message}`);
      res.writeHead(400).end();
      return;
    }
    const id = req.headers["webhook-id"];
    if (processed.has(id)) {
      res.writeHead(204).end(); // a redelivery: already booked
      return;
    }
    processed.add(id);
    console.log(describe(event));
    res.writeHead(204).end();
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`receiver listening on http://127.0.0.1:${server.address().port}`);
});
