create or replace function lending.unwatch_events(listener_pid integer, actor text default null)
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
grant execute on function lending.unwatch_events(integer, text) to lending_api;
