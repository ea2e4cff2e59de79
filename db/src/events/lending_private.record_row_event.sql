-- The event of a row that hangs off an application (an assessment, a review claim, a notice delivery): its type is
-- the trigger's first argument and its payload the row's columns the other arguments name. TimeZone is UTC so that a
-- timestamp in the payload reads the same whoever wrote it.
create or replace function lending_private.record_row_event()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
as $$
declare
  v_row jsonb := to_jsonb(new);
  v_payload jsonb := '{}';
begin
  for i in 1 .. tg_nargs - 1 loop
    v_payload := v_payload || jsonb_build_object(tg_argv[i], v_row -> tg_argv[i]);
  end loop;
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (new.application_id, tg_argv[0], v_payload, lending_private.current_actor(),
          lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
  return null;
end;
$$;
comment on function lending_private.record_row_event() is
  'Trigger: appends the event named by its first argument, with the row''s columns the others name as its payload.';
