-- migrate:up
set local role lending_owner;

-- NOTIFY is not free: at commit PostgreSQL takes one lock per database for the notification queue and holds it
-- through the commit's WAL flush, so every notifying transaction commits alone. Measured with pgbench (8 clients,
-- lending.apply), notifying on every event cost a quarter to a third of the throughput. So a change notifies only
-- while somebody waits for one: a listening session registers here while it has waiters (lending.watch_events).
--
-- No wake-up can be lost between the two. A writer looks for watchers after inserting its event, which takes an
-- ACCESS SHARE lock on this table until it commits. Registering takes ACCESS EXCLUSIVE: it waits until every writer
-- that may have looked and found nobody has finished (its event is then committed, and the waiter's next read
-- finds it), and writers that look later wait for the registration to commit and see it.
create table lending_private.event_watcher (
  listener_pid integer primary key,
  watching_since timestamptz not null default now()
);
comment on table lending_private.event_watcher is
  'Sessions that LISTEN on lending_events and have readers waiting: changes NOTIFY only while a row exists.';

create or replace function lending_private.append_event(application_id bigint, event_type text, payload jsonb)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (application_id, event_type, payload, lending_private.current_actor(), lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
end;
$$;
comment on function lending_private.append_event(bigint, text, jsonb) is
  'Appends an event for an application and, while anyone watches, notifies the lending_events channel at commit.';

create function lending.watch_events(listener_pid integer, actor text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_events', actor, null);
begin
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('listener_pid', case
      when listener_pid is null or not exists (select from pg_catalog.pg_stat_activity as s
                                                where s.pid = watch_events.listener_pid)
        then 'must be the process id (pg_backend_pid()) of a session connected now' end)]);
  lock table lending_private.event_watcher in access exclusive mode;
  -- Registrations of sessions that ended without taking theirs back.
  delete from lending_private.event_watcher as w
   where not exists (select from pg_catalog.pg_stat_activity as s where s.pid = w.listener_pid);
  insert into lending_private.event_watcher (listener_pid) values (listener_pid) on conflict do nothing;
  return jsonb_build_object('listener_pid', listener_pid, 'watching', true);
end;
$$;
comment on function lending.watch_events(integer, text) is
$$Asks that changes NOTIFY channel lending_events, for a session that LISTENs there and has readers waiting.

Changes notify only while some session watches (NOTIFY serialises commits). Call it from any connection, naming
the listening session's pg_backend_pid(), before a waiter's last read of lending.events_after: it returns once
every change that did not notify has committed, so that read sees them, and every later change notifies. Take it
back with lending.unwatch_events when nobody waits any more.
Returns: {listener_pid, watching: true}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;

create function lending.unwatch_events(listener_pid integer, actor text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_events', actor, null);
begin
  delete from lending_private.event_watcher as w where w.listener_pid = unwatch_events.listener_pid;
  return jsonb_build_object('listener_pid', listener_pid, 'watching', false);
end;
$$;
comment on function lending.unwatch_events(integer, text) is
$$Takes back lending.watch_events: changes stop notifying unless another session watches.

Returns: {listener_pid, watching: false}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;

grant execute on function lending.watch_events(integer, text), lending.unwatch_events(integer, text) to lending_api;

reset role;

-- migrate:down
set local role lending_owner;
drop function lending.unwatch_events(integer, text);
drop function lending.watch_events(integer, text);
create or replace function lending_private.append_event(application_id bigint, event_type text, payload jsonb)
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
drop table lending_private.event_watcher;
reset role;
