//! The store suite, run on SQLite and on PostgreSQL (R-S2): the same guarantees under
//! concurrency on both, with no busy error ever escaping.

use std::sync::Arc;

use futures::future::join_all;
use kassa_server::store::{Applied, Change, InboxKey, Inserted, NewOrder, Noted, Store};
use kassa_wire::{
    Action, Currency, Money, PaymentEvent, ProviderId, Quote, QuoteId, SessionId, SessionState,
};

use crate::support::{on_both_backends, Backend, Database};

on_both_backends!(
    fifty_concurrent_creations_with_one_key_store_one_order,
    fifty_concurrent_duplicate_notifications_make_one_transition_and_one_inbox_row,
    events_in_every_order_never_move_an_order_backwards,
    concurrent_events_of_every_kind_end_paid_and_keep_a_gapless_history,
    concurrent_notifications_of_every_kind_each_record_what_they_did,
    only_one_of_twenty_concurrent_claimants_gets_the_lease,
    a_session_recorded_after_a_webhook_settled_the_order_keeps_the_paid_state,
    a_notification_for_an_unknown_order_is_recorded_once,
    migrations_run_again_on_an_existing_database_change_nothing,
    an_invoiced_order_waits_for_its_provider_and_becomes_paid_only_by_a_payment,
);

async fn open(backend: Backend) -> (Arc<Store>, Database) {
    let db = backend.database().await;
    let store = Store::connect(&db.url).await.unwrap_or_else(|e| panic!("{backend:?}: {e:#}"));
    (Arc::new(store), db)
}

fn action() -> Action {
    Action::redirect("https://pay.example/cs_1")
}

fn new_order(key: &str) -> NewOrder<()> {
    let total = Money::from_minor(145_000, Currency::NOK).unwrap();
    NewOrder {
        id: format!("ks_{}", uuid::Uuid::new_v4().simple()),
        idempotency_key: key.to_owned(),
        request_hash: "hash".into(),
        method: "stripe-hosted".into(),
        provider: ProviderId::Stripe,
        total,
        quote: Quote {
            id: QuoteId::parse("q").unwrap(),
            expires_at: "2026-12-01T12:00:00Z".into(),
            lines: vec![],
            total,
        },
        request: (),
        request_id: Some("req-1".into()),
    }
}

async fn stored(store: &Store, key: &str) -> SessionId {
    match store.insert_order(&new_order(key)).await.unwrap() {
        Inserted::New(order) => order.id,
        Inserted::Existing(_) => panic!("the key {key} was fresh"),
    }
}

async fn fifty_concurrent_creations_with_one_key_store_one_order(backend: Backend) {
    let (store, _db) = open(backend).await;
    let inserts = (0..50).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.insert_order(&new_order("double-click")).await })
    });
    let mut new = vec![];
    let mut ids = vec![];
    for result in join_all(inserts).await {
        match result.unwrap().unwrap_or_else(|e| panic!("{backend:?}: an insert failed: {e:#}")) {
            Inserted::New(order) => {
                new.push(order.id.clone());
                ids.push(order.id);
            }
            Inserted::Existing(order) => ids.push(order.id),
        }
    }
    assert_eq!(new.len(), 1, "exactly one insert stores the order");
    ids.dedup();
    assert_eq!(ids, new, "every caller gets the same order");
    assert_eq!(store.order_count().await.unwrap(), 1);
}

async fn fifty_concurrent_duplicate_notifications_make_one_transition_and_one_inbox_row(
    backend: Backend,
) {
    let (store, _db) = open(backend).await;
    let id = stored(&store, "k").await;
    store.record_provider_session(&id, "cs_1", &action(), None).await.unwrap();
    let deliveries = (0..50).map(|_| {
        let (store, id) = (store.clone(), id.clone());
        tokio::spawn(async move {
            store
                .apply(&Change {
                    order_id: Some(&id),
                    event: Some(PaymentEvent::Paid),
                    paid_minor: Some(145_000),
                    cause: "test",
                    inbox: Some(InboxKey { provider: "stripe", dedup_key: "evt_1" }),
                })
                .await
        })
    });
    let outcomes: Vec<Noted> = join_all(deliveries)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap_or_else(|e| panic!("{backend:?}: a delivery failed: {e:#}")))
        .collect();
    let applied = outcomes
        .iter()
        .filter(|n| **n == Noted::Applied(Applied::Moved(SessionState::Paid)))
        .count();
    let duplicates = outcomes.iter().filter(|n| **n == Noted::Duplicate).count();
    assert_eq!((applied, duplicates), (1, 49), "{outcomes:?}");
    assert_eq!(
        store.history(&id).await.unwrap(),
        [SessionState::Created, SessionState::Open, SessionState::Paid]
    );
    assert_eq!(store.inbox_count(&id).await.unwrap(), 1);
    let order = store.order(&id).await.unwrap().unwrap();
    assert_eq!((order.paid_minor, order.state), (Some(145_000), SessionState::Paid));
}

/// Every ordering of the five events (R-K5): the end state is the pure state machine's, a
/// payment always wins, and the logged history only moves forward.
async fn events_in_every_order_never_move_an_order_backwards(backend: Backend) {
    let (store, _db) = open(backend).await;
    let events = [
        PaymentEvent::Opened,
        PaymentEvent::Paid,
        PaymentEvent::Declined,
        PaymentEvent::Cancelled,
        PaymentEvent::Expired,
    ];
    for (n, order) in permutations(&events).into_iter().enumerate() {
        let id = stored(&store, &format!("perm-{n}")).await;
        let mut expected = SessionState::Created;
        for event in &order {
            store.apply_event(&id, *event, "test", None).await.unwrap();
            expected = expected.apply(*event).unwrap_or(expected);
        }
        let state = store.order(&id).await.unwrap().unwrap().state;
        assert_eq!((state, expected), (SessionState::Paid, SessionState::Paid), "{order:?}");
        let history = store.history(&id).await.unwrap();
        assert_eq!(history.last(), Some(&SessionState::Paid), "{order:?}: {history:?}");
        assert!(
            !history[..history.len() - 1].contains(&SessionState::Paid),
            "{order:?} left paid: {history:?}"
        );
    }
}

async fn concurrent_events_of_every_kind_end_paid_and_keep_a_gapless_history(backend: Backend) {
    let (store, _db) = open(backend).await;
    let id = stored(&store, "k").await;
    let events = [
        PaymentEvent::Declined,
        PaymentEvent::Cancelled,
        PaymentEvent::Expired,
        PaymentEvent::Paid,
        PaymentEvent::Opened,
    ];
    let tasks = (0..40).map(|i| {
        let (store, id) = (store.clone(), id.clone());
        tokio::spawn(
            async move { store.apply_event(&id, events[i % events.len()], "test", None).await },
        )
    });
    for result in join_all(tasks).await {
        result.unwrap().unwrap_or_else(|e| panic!("{backend:?}: an event failed: {e:#}"));
    }
    let history = store.history(&id).await.unwrap();
    assert_eq!(history.last(), Some(&SessionState::Paid), "{history:?}");
    assert_eq!(store.transition_count(&id).await.unwrap() + 1, history.len() as i64);
}

/// The inbox row is written with the outcome foreseen from the state read first; on
/// PostgreSQL a concurrent notification can move the order in between, and the row must then
/// be corrected. Each row has to say what its notification did.
async fn concurrent_notifications_of_every_kind_each_record_what_they_did(backend: Backend) {
    let (store, _db) = open(backend).await;
    let id = stored(&store, "k").await;
    let events = [
        PaymentEvent::Opened,
        PaymentEvent::Declined,
        PaymentEvent::Cancelled,
        PaymentEvent::Expired,
        PaymentEvent::Paid,
        PaymentEvent::Opened,
    ];
    let tasks = (0..60).map(|i| {
        let (store, id) = (store.clone(), id.clone());
        tokio::spawn(async move {
            let key = format!("evt_{i}");
            let noted = store
                .apply(&Change {
                    order_id: Some(&id),
                    event: Some(events[i % events.len()]),
                    paid_minor: None,
                    cause: "test",
                    inbox: Some(InboxKey { provider: "stripe", dedup_key: &key }),
                })
                .await;
            (key, noted)
        })
    });
    let mut moved = 0;
    for result in join_all(tasks).await {
        let (key, noted) = result.unwrap();
        let noted = noted.unwrap_or_else(|e| panic!("{backend:?}: {key} failed: {e:#}"));
        assert!(matches!(noted, Noted::Applied(_)), "{backend:?}: {key}: {noted:?}");
        moved += usize::from(matches!(noted, Noted::Applied(Applied::Moved(_))));
        let recorded = store.inbox_outcome("stripe", &key).await.unwrap();
        assert_eq!(recorded.as_deref(), Some(noted.as_str()), "{backend:?}: {key}");
    }
    // Every move is one transition of the log.
    assert_eq!(store.transition_count(&id).await.unwrap(), moved as i64);
    assert_eq!(store.inbox_count(&id).await.unwrap(), 60);
}

async fn only_one_of_twenty_concurrent_claimants_gets_the_lease(backend: Backend) {
    let (store, _db) = open(backend).await;
    let id = stored(&store, "k").await;
    // The insert holds the lease; a crashed request's lease is released when it lapses.
    assert!(!store.claim_lease(&id).await.unwrap(), "the inserting request holds the lease");
    store.release_lease(&id, "test").await.unwrap();
    let claims = (0..20).map(|_| {
        let (store, id) = (store.clone(), id.clone());
        tokio::spawn(async move { store.claim_lease(&id).await })
    });
    let won = join_all(claims)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap().as_ref().unwrap())
        .count();
    assert_eq!(won, 1);
}

async fn a_session_recorded_after_a_webhook_settled_the_order_keeps_the_paid_state(
    backend: Backend,
) {
    let (store, _db) = open(backend).await;
    let id = stored(&store, "k").await;
    store.apply_event(&id, PaymentEvent::Paid, "webhook first", Some(145_000)).await.unwrap();
    let applied = store.record_provider_session(&id, "cs_late", &action(), None).await.unwrap();
    assert_eq!(applied, Applied::Unchanged(SessionState::Paid));
    let order = store.order(&id).await.unwrap().unwrap();
    assert_eq!((order.state, order.provider_ref.as_deref()), (SessionState::Paid, Some("cs_late")));
    assert_eq!(
        store.order_by_provider_ref("stripe", "cs_late").await.unwrap().map(|o| o.id),
        Some(id)
    );
}

async fn a_notification_for_an_unknown_order_is_recorded_once(backend: Backend) {
    let (store, _db) = open(backend).await;
    let note = Change {
        order_id: Some("ks_nobody"),
        event: Some(PaymentEvent::Paid),
        paid_minor: None,
        cause: "test",
        inbox: Some(InboxKey { provider: "payfect", dedup_key: "x:paid" }),
    };
    assert_eq!(store.apply(&note).await.unwrap(), Noted::UnknownOrder);
    assert_eq!(store.apply(&note).await.unwrap(), Noted::Duplicate);
    assert_eq!(store.order_count().await.unwrap(), 0);
}

async fn migrations_run_again_on_an_existing_database_change_nothing(backend: Backend) {
    let (store, db) = open(backend).await;
    let id = stored(&store, "k").await;
    let again = Store::connect(&db.url).await.unwrap();
    assert_eq!(again.order(&id).await.unwrap().map(|o| o.state), Some(SessionState::Created));
}

/// Issue 11 (F4): `invoiced` is stored on both backends, is not paid, is found by the
/// reconciliation query, keeps its state when a provider answer is refused, and becomes paid
/// only by a payment.
async fn an_invoiced_order_waits_for_its_provider_and_becomes_paid_only_by_a_payment(
    backend: Backend,
) {
    let (store, _db) = open(backend).await;
    let id = stored(&store, "k").await;
    store.record_provider_session(&id, "ODR1", &action(), None).await.unwrap();
    let applied = store.apply_event(&id, PaymentEvent::Invoiced, "callback", None).await.unwrap();
    assert_eq!(applied, Applied::Moved(SessionState::Invoiced));
    let order = store.order(&id).await.unwrap().unwrap();
    assert_eq!(
        (order.state, order.paid_at, order.unconfirmed_at),
        (SessionState::Invoiced, None, None)
    );
    let later = kassa_server::store::now() + 10;
    let waiting = store.orders_to_ask(SessionState::Invoiced, later, 10).await.unwrap();
    assert_eq!(waiting.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    assert!(store.orders_to_ask(SessionState::Open, later, 10).await.unwrap().is_empty());

    store.note_unconfirmed(&id, "status WHATEVER is not documented").await.unwrap();
    let order = store.order(&id).await.unwrap().unwrap();
    assert_eq!(order.state, SessionState::Invoiced, "a refused answer changes no state");
    assert!(order.unconfirmed_at.is_some());
    assert_eq!(order.last_error.as_deref(), Some("status WHATEVER is not documented"));

    for stale in [PaymentEvent::Invoiced, PaymentEvent::Expired, PaymentEvent::Declined] {
        let applied = store.apply_event(&id, stale, "late", None).await.unwrap();
        assert_eq!(applied, Applied::Unchanged(SessionState::Invoiced), "{stale:?}");
    }
    let applied =
        store.apply_event(&id, PaymentEvent::Paid, "invoice paid", Some(145_000)).await.unwrap();
    assert_eq!(applied, Applied::Moved(SessionState::Paid));
    assert!(store.orders_to_ask(SessionState::Invoiced, later, 10).await.unwrap().is_empty());
}

fn permutations<T: Copy>(items: &[T]) -> Vec<Vec<T>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = vec![];
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}
