-- The decision an adverse action notice is about: the latest rejection of a rejected application. Raises
-- no_adverse_action for an application in any other status.
create or replace function lending_private.rejection_of(application lending_private.application)
returns lending_private.decision
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
  v_decision lending_private.decision;
begin
  if application.status <> 'rejected' then
    perform lending_private.fail(
      'no_adverse_action',
      format('Application %s is %s: only a rejected application has an adverse action notice',
             application.application_id, application.status),
      jsonb_build_object('application_id', application.application_id, 'current_status', application.status));
  end if;
  select * into strict v_decision from lending_private.decision as d
   where d.application_id = application.application_id and d.outcome = 'rejected'
   order by d.decision_id desc limit 1;
  return v_decision;
end;
$$;
comment on function lending_private.rejection_of(lending_private.application) is
  'The latest rejection of a rejected application; raises no_adverse_action otherwise.';
