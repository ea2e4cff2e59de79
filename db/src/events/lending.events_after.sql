create or replace function lending.events_after(
  after text default null,
  "limit" integer default 100,
  application_id bigint default null,
  event_type text default null,
  actor text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_role text := lending_private.authorize('read_events', actor, null);
  v_families text[];
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
  -- The families of events (application, and later loan) whose resources this actor's role may read.
  select array_agg(f.family) into v_families
    from lending_private.event_family as f
    join lending_private.role_operation as p on p.operation = f.read_operation and p.role = v_role;

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
             and split_part(e.event_type, '.', 1) = any (v_families)
             and (events_after.application_id is null or e.application_id = events_after.application_id)
             and (events_after.event_type is null or e.event_type = events_after.event_type)
           order by e.transaction_id, e.event_id
           limit "limit") as e;

  return jsonb_build_object(
    'events', v_events,
    'next_cursor', coalesce(v_last_cursor, after, lending_private.event_cursor(v_after_transaction, v_after_event)));
end;
$$;
comment on function lending.events_after(text, integer, bigint, text, text) is
$$Reads the events feed in commit order, after a cursor.

Events record every state change: application.filed, application.decided, application.withdrawn and
application.updated, each with the application_id, a small payload, the actor and the request id. Pass the
next_cursor of the previous call as after (omit it to start from the beginning); an event appears only once every
transaction that could precede it has finished, so a cursor never skips one. Filters: application_id and
event_type. limit is 1-1000 (default 100). The actor sees only the events of what its role may read.
Returns: {events: [{cursor, event_type, application_id, payload, actor, request_id, occurred_at}], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.events_after(text, integer, bigint, text, text) to lending_api;
