-- One trigger names every change of an application: application.filed when it is inserted, application.decided
-- when its status moves to a decision's outcome (with the decision that moved it, if any), application.withdrawn,
-- and application.updated when only its facts change. It writes the event itself, rather than through a helper:
-- a PL/pgSQL call with its own search_path to set and restore, once per change.
create or replace function lending_private.record_application_event()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_event_type text;
  v_payload jsonb := jsonb_build_object('status', new.status, 'version', new.version);
begin
  if tg_op = 'INSERT' then
    v_event_type := 'application.filed';
  elsif new.status is distinct from old.status then
    v_payload := v_payload || jsonb_build_object('previous_status', old.status);
    if new.status = 'withdrawn' then
      v_event_type := 'application.withdrawn';
    else
      v_event_type := 'application.decided';
      v_payload := v_payload || jsonb_build_object(
        'decision', (select jsonb_build_object('decision_id', d.decision_id, 'outcome', d.outcome,
                                               'reason_codes', to_jsonb(d.reason_codes))
                       from lending_private.decision as d
                      where d.application_id = new.application_id and d.outcome = new.status
                      order by d.decision_id desc limit 1));
    end if;
  elsif new is distinct from old then
    v_event_type := 'application.updated';
  else
    return null;
  end if;
  insert into lending_private.event (application_id, event_type, payload, actor, request_id)
  values (new.application_id, v_event_type, v_payload, lending_private.current_actor(),
          lending_private.current_request_id());
  if exists (select from lending_private.event_watcher) then
    perform pg_notify('lending_events', '');
  end if;
  return null;
end;
$$;
comment on function lending_private.record_application_event() is
  'Trigger: appends application.filed, application.decided, application.withdrawn or application.updated.';
