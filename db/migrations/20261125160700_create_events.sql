-- migrate:up
set local role lending_owner;

-- The events feed: every state change appends an event in the same transaction as the change, so an event exists
-- exactly when its change committed. Triggers write them, so direct SQL feeds it too.
--
-- Readers page through events in commit order. A plain sequence is not commit-ordered: a reader that has seen
-- event 11 would never see a slower transaction's event 10. So each event carries its transaction's id (xid8,
-- which never wraps), and a reader is only shown events of transactions older than its snapshot's xmin: every
-- transaction below that horizon has finished, so no event can later appear behind the cursor. A long transaction
-- holds the horizon back and delays the feed; it never reorders it.
create function lending_private.event_type_error(event_type text)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case when event_type !~ '^[a-z]+(\.[a-z_]+)+$' then 'must be an event type such as application.decided' end;
end;
$$;
comment on function lending_private.event_type_error(text) is 'What is wrong with an event type name, or null.';

create table lending_private.event (
  transaction_id xid8 not null default pg_current_xact_id(),
  event_id bigint generated always as identity,
  application_id bigint not null,
  event_type text not null
    constraint event_type_is_valid check (lending_private.event_type_error(event_type) is null),
  payload jsonb not null,
  actor text not null,
  request_id text,
  occurred_at timestamptz not null default now(),
  primary key (transaction_id, event_id)
);
create index event_application on lending_private.event (application_id, transaction_id, event_id);
comment on table lending_private.event is
  'Append-only feed of state changes, in commit order by (transaction_id, event_id). Written by triggers.';
comment on column lending_private.event.transaction_id is 'The writing transaction; orders the feed.';
comment on column lending_private.event.event_id is 'Orders the events of one transaction.';

create trigger _100_refuse_change before update or delete on lending_private.event
  for each row execute function lending_private.refuse_change();
create trigger _100_refuse_truncate before truncate on lending_private.event
  for each statement execute function lending_private.refuse_change();

-- Appends one event and wakes the listeners. NOTIFY is delivered at commit (never for a rolled-back change), and
-- identical notifications of one transaction are folded into one.
create function lending_private.append_event(application_id bigint, event_type text, payload jsonb)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (application_id, event_type, payload, lending_private.current_actor(), lending_private.current_request_id());
  perform pg_notify('lending_events', '');
end;
$$;
comment on function lending_private.append_event(bigint, text, jsonb) is
  'Appends an event for an application and notifies the lending_events channel at commit.';

-- One trigger names every change of an application: application.filed when it is inserted, application.decided
-- when its status moves to a decision's outcome (with the decision that moved it, if any), application.withdrawn,
-- and application.updated when only its facts change.
create function lending_private.record_application_event()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_payload jsonb := jsonb_build_object('status', new.status, 'version', new.version);
begin
  if tg_op = 'INSERT' then
    perform lending_private.append_event(new.application_id, 'application.filed', v_payload);
  elsif new.status is distinct from old.status then
    v_payload := v_payload || jsonb_build_object('previous_status', old.status);
    if new.status = 'withdrawn' then
      perform lending_private.append_event(new.application_id, 'application.withdrawn', v_payload);
    else
      perform lending_private.append_event(new.application_id, 'application.decided', v_payload || jsonb_build_object(
        'decision', (select jsonb_build_object('decision_id', d.decision_id, 'outcome', d.outcome,
                                               'reason_codes', to_jsonb(d.reason_codes))
                       from lending_private.decision as d
                      where d.application_id = new.application_id and d.outcome = new.status
                      order by d.decision_id desc limit 1)));
    end if;
  elsif new is distinct from old then
    perform lending_private.append_event(new.application_id, 'application.updated', v_payload);
  end if;
  return null;
end;
$$;
comment on function lending_private.record_application_event() is
  'Trigger: appends application.filed, application.decided, application.withdrawn or application.updated.';

create trigger _800_event after insert or update on lending_private.application
  for each row execute function lending_private.record_application_event();

create function lending_private.event_cursor(transaction_id xid8, event_id bigint)
returns text
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  return transaction_id::text || '-' || event_id::text;
end;
$$;

create function lending.events_after(
  after text default null,
  "limit" integer default 100,
  application_id bigint default null,
  event_type text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_after_is_cursor boolean := after ~ '^[0-9]{1,20}-[0-9]{1,19}$';
  v_after_transaction xid8 := '0';
  v_after_event bigint := 0;
  v_events jsonb;
  v_last_cursor text;
begin
  if v_after_is_cursor then
    v_after_transaction := split_part(after, '-', 1)::xid8;
    v_after_event := split_part(after, '-', 2)::bigint;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('after', case when not v_after_is_cursor
                                              then 'must be a next_cursor returned by an earlier call' end),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 1000
                                              then 'must be between 1 and 1000' end),
    lending_private.field_error('event_type', lending_private.event_type_error(event_type))]);

  select coalesce(jsonb_agg(jsonb_build_object(
           'cursor', lending_private.event_cursor(e.transaction_id, e.event_id),
           'event_type', e.event_type, 'application_id', e.application_id, 'payload', e.payload,
           'actor', e.actor, 'request_id', e.request_id, 'occurred_at', lending_private.json_time(e.occurred_at))
           order by e.transaction_id, e.event_id), '[]'),
         (array_agg(lending_private.event_cursor(e.transaction_id, e.event_id)
                    order by e.transaction_id desc, e.event_id desc))[1]
    into v_events, v_last_cursor
    from (select * from lending_private.event as e
           where (e.transaction_id, e.event_id) > (v_after_transaction, v_after_event)
             and e.transaction_id < v_horizon
             and (events_after.application_id is null or e.application_id = events_after.application_id)
             and (events_after.event_type is null or e.event_type = events_after.event_type)
           order by e.transaction_id, e.event_id
           limit "limit") as e;

  return jsonb_build_object(
    'events', v_events,
    'next_cursor', coalesce(v_last_cursor, after, lending_private.event_cursor(v_after_transaction, v_after_event)));
end;
$$;
comment on function lending.events_after(text, integer, bigint, text) is
$$Reads the events feed in commit order, after a cursor.

Events record every state change: application.filed, application.decided, application.withdrawn and
application.updated, each with the application_id, a small payload, the actor and the request id. Pass the
next_cursor of the previous call as after (omit it to start from the beginning); an event appears only once every
transaction that could precede it has finished, so a cursor never skips one. Filters: application_id and
event_type. limit is 1-1000 (default 100).
Returns: {events: [{cursor, event_type, application_id, payload, actor, request_id, occurred_at}], next_cursor}.
Errors: validation_failed.$$;

grant execute on function lending.events_after(text, integer, bigint, text) to lending_api;

reset role;

-- migrate:down
set local role lending_owner;
drop function lending.events_after(text, integer, bigint, text);
drop function lending_private.event_cursor(xid8, bigint);
drop trigger _800_event on lending_private.application;
drop function lending_private.record_application_event();
drop function lending_private.append_event(bigint, text, jsonb);
drop table lending_private.event;
drop function lending_private.event_type_error(text);
reset role;
