// Stripe's official Node library (npm `stripe`, pinned in package.json) against kassa-sim's
// Stripe and the Kassa backend. `cargo xtask test` starts both binaries on loopback ports and
// runs this file with node's test runner (xtask/src/stripe_node.rs); it sets:
//
//   STRIPE_API             the simulated Stripe's base URL (http://127.0.0.1:PORT)
//   STRIPE_SECRET_KEY      the key the simulator accepts
//   STRIPE_WEBHOOK_SECRET  the simulator's signing secret, which the backend also verifies with
//   KASSA_API              the backend's base URL
//   KASSA_RETURN_URL       a page on an origin the backend allows
//
// Where the library and the simulator disagree, the simulator is what changes: the library
// is how Stripe's own code reads Stripe's API.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import Stripe from 'stripe';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} is set (run through cargo xtask test)`);
  return value;
};

const API_VERSION = '2026-03-25.dahlia';
const stripeApi = new URL(env('STRIPE_API'));
const secretKey = env('STRIPE_SECRET_KEY');
const webhookSecret = env('STRIPE_WEBHOOK_SECRET');
const kassaApi = env('KASSA_API');
const returnUrl = env('KASSA_RETURN_URL');

/** A client of the simulated Stripe, as a merchant would configure one. */
const client = (key) =>
  new Stripe(key, {
    apiVersion: API_VERSION,
    host: stripeApi.hostname,
    port: Number(stripeApi.port),
    protocol: stripeApi.protocol.replace(':', ''),
    maxNetworkRetries: 0,
    telemetry: false,
  });

const stripe = client(secretKey);
const now = () => Math.floor(Date.now() / 1000);

const lineItems = (unitAmount = 7550, quantity = 2) => [
  {
    price_data: { currency: 'nok', unit_amount: unitAmount, product_data: { name: 'Life-jacket rental' } },
    quantity,
  },
];

const hosted = (extra = {}) => ({
  mode: 'payment',
  ui_mode: 'hosted_page',
  line_items: lineItems(),
  success_url: 'https://shop.example/ok?session={CHECKOUT_SESSION_ID}',
  cancel_url: 'https://shop.example/cancel',
  ...extra,
});

/** Rejects with the library's error for `promise`, or fails. */
const failure = async (promise) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the call succeeded');
};

// Webhooks the simulator delivers land here, raw, as Stripe would post them.
const delivered = [];
let receiver;

before(async () => {
  receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      delivered.push({ body: Buffer.concat(chunks), signature: req.headers['stripe-signature'] });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"received":true}');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address();
  const set = await fetch(`${stripeApi.origin}/__sim/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: `http://127.0.0.1:${port}/webhooks/stripe` }),
  });
  assert.equal(set.status, 200, 'the simulator takes our webhook endpoint');
});

after(() => new Promise((resolve) => receiver.close(resolve)));

/** Acts on a session through the simulator's control plane (what a customer would do). */
const act = async (id, action) => {
  const response = await fetch(`${stripeApi.origin}/__sim/sessions/${id}/${action}`, { method: 'POST' });
  assert.equal(response.status, 200, `${action} ${id}: ${await response.clone().text()}`);
  return response.json();
};

test('create a hosted session', async () => {
  const session = await stripe.checkout.sessions.create(
    hosted({ client_reference_id: 'ks_node_1', metadata: { kassa_order_id: 'ks_node_1' }, locale: 'nb', expires_at: now() + 3600 }),
  );
  assert.equal(session.object, 'checkout.session');
  assert.match(session.id, /^cs_test_/);
  assert.equal(session.ui_mode, 'hosted_page');
  assert.equal(session.status, 'open');
  assert.equal(session.payment_status, 'unpaid');
  assert.equal(session.amount_total, 15100);
  assert.equal(session.currency, 'nok');
  assert.equal(session.locale, 'nb');
  assert.equal(session.client_reference_id, 'ks_node_1');
  assert.deepEqual(session.metadata, { kassa_order_id: 'ks_node_1' });
  assert.equal(session.client_secret, null);
  assert.ok(session.url.startsWith(stripeApi.origin), session.url);
  assert.match(session.lastResponse.requestId, /^req_/);
});

test('create an embedded session', async () => {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    ui_mode: 'embedded_page',
    line_items: lineItems(),
    return_url: 'https://shop.example/return?session={CHECKOUT_SESSION_ID}',
    redirect_on_completion: 'if_required',
  });
  assert.equal(session.ui_mode, 'embedded_page');
  assert.equal(session.url, null);
  assert.ok(session.client_secret.startsWith(`${session.id}_secret_`));
  assert.equal(session.redirect_on_completion, 'if_required');
});

test('retrieve, with the payment intent and line items expanded', async () => {
  const created = await stripe.checkout.sessions.create(hosted());
  await act(created.id, 'decline');
  const session = await stripe.checkout.sessions.retrieve(created.id, { expand: ['payment_intent', 'line_items'] });
  assert.equal(session.id, created.id);
  assert.equal(session.payment_intent.object, 'payment_intent');
  assert.equal(session.payment_intent.last_payment_error.code, 'card_declined');
  assert.equal(session.line_items.data[0].quantity, 2);
  const items = await stripe.checkout.sessions.listLineItems(created.id);
  assert.equal(items.data[0].amount_total, 15100);
});

test('list, page by page and with auto-pagination', async () => {
  for (let i = 0; i < 3; i += 1) await stripe.checkout.sessions.create(hosted());
  const page = await stripe.checkout.sessions.list({ limit: 2 });
  assert.equal(page.object, 'list');
  assert.equal(page.data.length, 2);
  assert.equal(page.has_more, true);
  const next = await stripe.checkout.sessions.list({ limit: 2, starting_after: page.data[1].id });
  assert.ok(!next.data.some((s) => page.data.some((p) => p.id === s.id)), 'the next page is new');
  const all = await stripe.checkout.sessions.list({ limit: 1 }).autoPagingToArray({ limit: 1000 });
  const ids = new Set(all.map((s) => s.id));
  assert.equal(ids.size, all.length, 'auto-pagination visits each session once');
  assert.ok(all.length >= 5, `${all.length} sessions`);
  const open = await stripe.checkout.sessions.list({ status: 'open', limit: 100 });
  assert.ok(open.data.every((s) => s.status === 'open'));
});

test('expire, once', async () => {
  const created = await stripe.checkout.sessions.create(hosted());
  const expired = await stripe.checkout.sessions.expire(created.id);
  assert.equal(expired.status, 'expired');
  assert.equal(expired.url, null);
  const again = await failure(stripe.checkout.sessions.expire(created.id));
  assert.ok(again instanceof Stripe.errors.StripeInvalidRequestError, again.type);
  assert.equal(again.statusCode, 400);
});

test('an idempotent replay returns the first answer; other parameters under the key conflict', async () => {
  const key = `node-${now()}-${Math.random().toString(36).slice(2)}`;
  const first = await stripe.checkout.sessions.create(hosted(), { idempotencyKey: key });
  const replay = await stripe.checkout.sessions.create(hosted(), { idempotencyKey: key });
  assert.equal(replay.id, first.id);
  assert.equal(replay.lastResponse.headers['idempotent-replayed'], 'true');
  const conflict = await failure(
    stripe.checkout.sessions.create(hosted({ line_items: lineItems(7550, 3) }), { idempotencyKey: key }),
  );
  assert.ok(conflict instanceof Stripe.errors.StripeIdempotencyError, conflict.type);
  assert.equal(conflict.statusCode, 400);
});

test('bad parameters are StripeInvalidRequestError with the param', async () => {
  const cases = [
    [hosted({ line_items: [{ ...lineItems()[0], quantity: 0 }] }), 'line_items[0][quantity]', undefined],
    [hosted({ bogus: 'x' }), 'bogus', 'parameter_unknown'],
    [hosted({ ui_mode: 'hosted' }), 'ui_mode', undefined],
    [hosted({ locale: 'no' }), 'locale', undefined],
    [hosted({ expires_at: now() + 60 }), 'expires_at', undefined],
    [hosted({ line_items: [{ ...lineItems()[0], price_data: { ...lineItems()[0].price_data, unit_amount: 'x' } }] }), 'line_items[0][price_data][unit_amount]', 'parameter_invalid_integer'],
  ];
  for (const [params, param, code] of cases) {
    const error = await failure(stripe.checkout.sessions.create(params));
    assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, `${param}: ${error.type}`);
    assert.equal(error.param, param);
    assert.equal(error.statusCode, 400);
    if (code) assert.equal(error.code, code);
    assert.match(error.requestId, /^req_/);
  }
  const small = await failure(stripe.checkout.sessions.create(hosted({ line_items: lineItems(100, 2) })));
  assert.ok(small instanceof Stripe.errors.StripeInvalidRequestError);
  assert.equal(small.code, 'amount_too_small');
});

test('a wrong key is StripeAuthenticationError', async () => {
  const error = await failure(client('sk_test_not_the_right_one').checkout.sessions.create(hosted()));
  assert.ok(error instanceof Stripe.errors.StripeAuthenticationError, error.type);
  assert.equal(error.statusCode, 401);
});

test('an unknown id is resource_missing', async () => {
  const error = await failure(stripe.checkout.sessions.retrieve('cs_test_does_not_exist'));
  assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, error.type);
  assert.equal(error.code, 'resource_missing');
  assert.equal(error.statusCode, 404);
});

/** Waits (polling, no fixed sleep) for a delivered webhook whose event matches `wanted`. */
const delivery = async (what, wanted) => {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = delivered.find(({ body }) => wanted(JSON.parse(body)));
    if (found) return found;
    assert.ok(Date.now() < deadline, `no webhook for ${what} arrived`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

test('every webhook the simulator delivers verifies with stripe.webhooks.constructEvent', async () => {
  const paid = await stripe.checkout.sessions.create(hosted());
  await act(paid.id, 'pay');
  const declined = await stripe.checkout.sessions.create(hosted());
  await act(declined.id, 'decline');
  const intent = (await stripe.checkout.sessions.retrieve(declined.id)).payment_intent;
  const expired = await stripe.checkout.sessions.create(hosted());
  await stripe.checkout.sessions.expire(expired.id);
  const mine = [
    ['checkout.session.completed', paid.id],
    ['payment_intent.payment_failed', intent],
    ['checkout.session.expired', expired.id],
  ];
  for (const [type, id] of mine) {
    const { body, signature } = await delivery(`${type} ${id}`, (e) => e.type === type && e.data.object.id === id);
    const event = stripe.webhooks.constructEvent(body, signature, webhookSecret);
    assert.equal(event.type, type);
    if (type === 'checkout.session.completed') assert.equal(event.data.object.payment_status, 'paid');
  }
  // Every delivery so far, this test's and the earlier tests', verifies with the library.
  assert.ok(delivered.length >= mine.length);
  for (const { body, signature } of delivered) {
    const event = stripe.webhooks.constructEvent(body, signature, webhookSecret);
    assert.equal(event.object, 'event');
    assert.equal(event.api_version.length > 0, true);
    const stored = await stripe.events.retrieve(event.id);
    assert.equal(stored.type, event.type);
    const wrong = await failure((async () => stripe.webhooks.constructEvent(body, signature, 'whsec_wrong'))());
    assert.ok(wrong instanceof Stripe.errors.StripeSignatureVerificationError);
  }
});

/**
 * Asks the backend for a Stripe hosted session as the widget does: the quote first, then the
 * session naming the quote the customer saw (`quote_id`).
 */
const createAtBackend = async (items, idempotencyKey) => {
  const quoted = await fetch(`${kassaApi}/v1/checkout/quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items }),
  });
  assert.equal(quoted.status, 200, await quoted.clone().text());
  const quote = await quoted.json();
  return fetch(`${kassaApi}/v1/checkout/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify({ items, method: 'stripe-hosted', return_url: returnUrl, quote_id: quote.id }),
  });
};

test('the backend refuses a cart under Stripe\'s minimum charge before calling Stripe, saying why', async () => {
  const before = (await stripe.checkout.sessions.list({ limit: 100 })).data.length;
  const response = await createAtBackend([{ sku: 'sticker', quantity: 2 }], `node-small-${now()}-${Math.random()}`);
  const body = await response.json();
  assert.equal(response.status, 502, JSON.stringify(body));
  assert.equal(body.code, 'provider_rejected');
  assert.equal(body.retryable, false);
  // The reason is for the merchant's developer (`detail`); the customer's message names none.
  assert.match(body.detail, /3\.00 NOK/);
  assert.match(body.detail, /2\.00 NOK/);
  assert.doesNotMatch(body.message, /NOK/);
  const after = (await stripe.checkout.sessions.list({ limit: 100 })).data.length;
  assert.equal(after, before, 'nothing reached Stripe');
});

/** POSTs a webhook to the backend as Stripe would. */
const toBackend = (payload, header) =>
  fetch(`${kassaApi}/v1/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': header },
    body: payload,
  });

test('the backend accepts a webhook signed by the library and refuses tampered, stale and wrongly signed ones', async () => {
  // An order at the backend, paid at the simulated Stripe; its event comes to us first.
  const created = await createAtBackend([{ sku: 'life-jacket', quantity: 1 }], `node-order-${now()}-${Math.random()}`);
  assert.equal(created.status, 200, await created.clone().text());
  const order = await created.json();
  const cs = new URL(order.action.url).pathname.split('/').pop();
  assert.match(cs, /^cs_test_/);
  await act(cs, 'pay');
  const { body } = await delivery(`the completion of ${cs}`, (e) => e.type === 'checkout.session.completed' && e.data.object.id === cs);
  const payload = body.toString('utf8');
  assert.equal(JSON.parse(payload).data.object.client_reference_id, order.id);

  const sign = (extra = {}) => stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret, ...extra });
  // One changed digit in the amount (the body is pretty-printed, as Stripe's are).
  const tampered = payload.replace(/("amount_total":\s*)7550/, (_, key) => `${key}7551`);
  assert.notEqual(tampered, payload);
  const refusals = [
    ['tampered body', tampered, sign()],
    ['stale timestamp', payload, sign({ timestamp: now() - 301 })],
    ['wrong secret', payload, stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' })],
    ['no v1 signature', payload, `t=${now()}`],
  ];
  for (const [what, body, header] of refusals) {
    const response = await toBackend(body, header);
    assert.equal(response.status, 400, what);
  }
  const accepted = await toBackend(payload, sign());
  assert.equal(accepted.status, 200, await accepted.clone().text());
  assert.deepEqual(await accepted.json(), { received: true });
  const status = await (await fetch(`${kassaApi}/v1/checkout/sessions/${order.id}`)).json();
  assert.equal(status.state, 'paid');
  assert.equal(status.receipt.amount.amount_minor, 7550);
});
