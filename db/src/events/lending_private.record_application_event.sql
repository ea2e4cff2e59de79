-- One trigger names every change of an application: application.filed when it is inserted, application.decided
-- when a decision moves its status (with the decision that moved it, if any: a decision needing confirmation moves it to
-- pending_confirmation), application.decision_confirmed or application.decision_declined when a second reviewer
-- answers, application.offer_accepted, offer_declined or offer_expired, application.withdrawn, and
-- application.updated when only its facts change. It writes the event itself, rather than through a helper:
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
    v_event_type := case
      when new.status = 'withdrawn' then 'application.withdrawn'
      when old.status = 'pending_confirmation' and new.status = 'approved' then 'application.decision_confirmed'
      when old.status = 'pending_confirmation' and new.status = 'manual_review' then 'application.decision_declined'
      when new.status in ('offer_accepted', 'offer_declined', 'offer_expired') then 'application.' || new.status
      else 'application.decided' end;
    if v_event_type in ('application.decided', 'application.decision_confirmed', 'application.decision_declined') then
      v_payload := v_payload || jsonb_build_object(
        'decision', (select jsonb_build_object('decision_id', d.decision_id, 'outcome', d.outcome,
                                               'reason_codes', to_jsonb(d.reason_codes),
                                               'requires_confirmation', d.requires_confirmation)
                       from lending_private.decision as d
                      where d.application_id = new.application_id
                        and d.outcome = case when new.status = 'pending_confirmation'
                                               or old.status = 'pending_confirmation' then 'approved'
                                             else new.status end
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
