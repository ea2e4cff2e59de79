-- Every call reads a bounded number of pages, whatever the size of the feed, in custom and generic plans alike:
-- each shape of the call is its own statement, whose conditions are all index conditions and whose order is its
-- index's, so that no estimate can make a sort of the table look cheaper:
--   - the whole feed (the role may read every family, no filter): the primary key, from the cursor on;
--   - one application's events: its index (event_application), the other filters checked on those few rows;
--   - one type, or the types of the families a role may read when it may not read them all: for each type its
--     index (event_of_type) from the cursor on, at most a page each, merged (a sort of those pages only).
-- One statement with every filter optional (`x is null or ...`) cannot be planned once for all: its generic plan
-- kept neither index condition and read every event after the cursor, and an estimate of the family filter (a
-- function of the type, kept by 0.5% of rows as far as the planner knew, by all of them in truth) made small
-- databases sort the whole table.
--
-- Those plans are good for any value, so each session makes them once (plan_cache_mode): left to choose, PostgreSQL
-- planned every call again (0.2 ms of a 0.5 ms poll), because a generic plan, made for a limit it does not know,
-- looks dearer than one made for a page of 100.
--
-- A page that did not fill up has examined every event below the horizon that the filters keep, so its
-- next_cursor is the horizon itself: a reader of a rare type moves on instead of reading the same stretch again
-- at every poll. Nothing can commit below the horizon any more, so no event is skipped.
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
set plan_cache_mode = force_generic_plan
as $$
declare
  v_role text := lending_private.authorize('read_events', actor, null);
  -- Every transaction below the snapshot's xmin has finished: no event can appear below it any more.
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_position text[] := regexp_match(lending_private.cursor_text(after), '^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,18})$');
  v_after_transaction xid8 := '0';
  v_after_event bigint := 0;
  v_after_error text;
  v_families text[];
  v_every_family boolean;
  v_types text[];
  v_events lending_private.event[];
begin
  -- A cursor names a position the feed has reached: an event's, or the horizon of an earlier call. One beyond the
  -- horizon was not given by this feed, and would answer empty pages until the feed caught up with it.
  if after is null then
    null;  -- from the beginning
  elsif v_position is null or v_position[2]::numeric > 9223372036854775807 then
    v_after_error := 'must be a next_cursor returned by an earlier call';
  elsif (v_position[1]::numeric, v_position[2]::numeric) > (v_horizon::text::numeric, 0) then
    v_after_error := 'is beyond the end of the feed: pass a next_cursor returned by an earlier call';
  else
    v_after_transaction := v_position[1]::xid8;
    v_after_event := v_position[2]::bigint;
  end if;
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('after', v_after_error),
    lending_private.field_error('limit', case when "limit" is null or "limit" not between 1 and 1000
                                              then 'must be between 1 and 1000' end),
    lending_private.field_error('event_type', lending_private.event_type_error(event_type))]);
  -- The families of events (application, and later loan) whose resources this actor's role may read.
  select coalesce(array_agg(f.family) filter (where p.role is not null), '{}'), bool_and(p.role is not null)
    into v_families, v_every_family
    from lending_private.event_family as f
    left join lending_private.role_operation as p on p.operation = f.read_operation and p.role = v_role;

  if application_id is not null then
    select array_agg(e order by (e).transaction_id, (e).event_id) into v_events
      from (select e from lending_private.event as e
             where e.application_id = events_after.application_id
               and (e.transaction_id, e.event_id) > (v_after_transaction, v_after_event)
               and e.transaction_id < v_horizon
               and (events_after.event_type is null or e.event_type = events_after.event_type)
               and split_part(e.event_type, '.', 1) = any (v_families)
             order by e.transaction_id, e.event_id
             limit "limit") as page(e);
  elsif event_type is null and v_every_family then
    select array_agg(e order by (e).transaction_id, (e).event_id) into v_events
      from (select e from lending_private.event as e
             where (e.transaction_id, e.event_id) > (v_after_transaction, v_after_event)
               and e.transaction_id < v_horizon
             order by e.transaction_id, e.event_id
             limit "limit") as page(e);
  else
    if event_type is not null then
      v_types := case when split_part(event_type, '.', 1) = any (v_families) then array[event_type] else '{}' end;
    else
      -- The types there are, one index probe each (there are few), and of them those the role may read.
      with recursive present(event_type) as (
        select min(e.event_type) from lending_private.event as e
        union all
        select (select min(e.event_type) from lending_private.event as e where e.event_type > p.event_type)
          from present as p where p.event_type is not null)
      select coalesce(array_agg(p.event_type), '{}') into v_types
        from present as p where split_part(p.event_type, '.', 1) = any (v_families);
    end if;
    select array_agg(e order by (e).transaction_id, (e).event_id) into v_events
      from (select e from unnest(v_types) as t(event_type)
              cross join lateral (
                select e from lending_private.event as e
                 -- This type's events from the cursor to the horizon, as bounds on the type's index
                 -- (event_of_type), which alone reads them in this order. Written as an equality on the type and
                 -- an order by position, the planner may read the primary key in that order instead and filter the
                 -- type out, which is cheap only where the type is common: for a rare one, it reads the whole feed.
                 where (e.event_type, e.transaction_id, e.event_id) > (t.event_type, v_after_transaction, v_after_event)
                   and (e.event_type, e.transaction_id) < (t.event_type, v_horizon)
                 order by e.event_type, e.transaction_id, e.event_id
                 limit "limit") as of_type
             order by (e).transaction_id, (e).event_id
             limit "limit") as page(e);
  end if;

  return jsonb_build_object(
    'events', (select coalesce(jsonb_agg(jsonb_build_object(
                 'cursor', lending_private.event_cursor(e.transaction_id, e.event_id),
                 'event_type', e.event_type, 'application_id', e.application_id, 'payload', e.payload,
                 'actor', e.actor, 'request_id', e.request_id, 'occurred_at', lending_private.json_time(e.occurred_at))
                 order by e.transaction_id, e.event_id), '[]')
                 from unnest(v_events) as e),
    'next_cursor', case when cardinality(v_events) = "limit"
                        then lending_private.event_cursor((v_events["limit"]).transaction_id,
                                                          (v_events["limit"]).event_id)
                        else lending_private.event_cursor(v_horizon, 0) end);
end;
$$;
comment on function lending.events_after(text, integer, bigint, text, text) is
$$Reads the events feed in commit order, after a cursor.

Events record every state change: application.filed, application.decided, application.withdrawn and
application.updated, each with the application_id, a small payload, the actor and the request id. Pass the
next_cursor of the previous call as after (omit it to start from the beginning); an event appears only once every
transaction that could precede it has finished, so a cursor never skips one. Cursors are opaque: pass them back as
they came; one that this feed did not give is refused (validation_failed). A page shorter than limit has read
everything there was, and its next_cursor moves past all of it even when no event matched. Filters: application_id
and event_type. limit is 1-1000 (default 100). The actor sees only the events of what its role may read.
Returns: {events: [{cursor, event_type, application_id, payload, actor, request_id, occurred_at}], next_cursor}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch.$$;
grant execute on function lending.events_after(text, integer, bigint, text, text) to lending_api;
