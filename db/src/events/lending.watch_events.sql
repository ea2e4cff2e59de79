create or replace function lending.watch_events(listener_pid integer, actor text default null)
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
grant execute on function lending.watch_events(integer, text) to lending_api;
