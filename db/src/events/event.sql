-- The events feed: every state change appends an event in the same transaction as the change, so an event exists
-- exactly when its change committed. Triggers write them, so direct SQL feeds it too.
--
-- Readers page through events in commit order. A plain sequence is not commit-ordered: a reader that has seen
-- event 11 would never see a slower transaction's event 10. So each event carries its transaction's id (xid8,
-- which never wraps), and a reader is only shown events of transactions older than its snapshot's xmin: every
-- transaction below that horizon has finished, so no event can later appear behind the cursor. A long transaction
-- holds the horizon back and delays the feed; it never reorders it.
create table lending_private.event (
  transaction_id xid8 not null default pg_current_xact_id(),
  event_id bigint generated always as identity,
  application_id bigint not null,
  event_type lending_private.event_type not null,
  payload jsonb not null,
  actor text not null,
  request_id text,
  occurred_at timestamptz not null default now(),
  primary key (transaction_id, event_id)
);
create index event_application on lending_private.event (application_id, transaction_id, event_id);
-- Readers of one type follow it through this index, in feed order, however rare the type (lending.events_after).
create index event_of_type on lending_private.event (event_type, transaction_id, event_id);
comment on table lending_private.event is
  'Append-only feed of state changes, in commit order by (transaction_id, event_id). Written by triggers.';
comment on column lending_private.event.transaction_id is 'The writing transaction; orders the feed.';
comment on column lending_private.event.event_id is 'Orders the events of one transaction.';

create trigger _100_refuse_change before update or delete on lending_private.event
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.event
  for each statement execute function lending_private.refuse_change();

-- Every change of an application appends its event (lending_private.record_application_event).
create trigger _800_event after insert or update on lending_private.application
  for each row execute function lending_private.record_application_event();

-- And the rows that hang off an application without changing it.
create trigger _800_event after insert on lending_private.assessment
  for each row execute function lending_private.record_row_event('application.assessed', 'assessment_id',
                                                                 'recommendation', 'risk_grade', 'reason_codes');
create trigger _800_event after insert on lending_private.review_claim
  for each row execute function lending_private.record_row_event('application.review_claimed', 'claim_id',
                                                                 'claimed_by', 'expires_at');
create trigger _800_event after insert on lending_private.notice_delivery
  for each row execute function lending_private.record_row_event('application.notice_sent', 'delivery_id',
                                                                 'decision_id', 'channel');
