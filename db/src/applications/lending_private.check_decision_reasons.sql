create or replace function lending_private.check_decision_reasons()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  perform lending_private.fail_if_invalid(array[lending_private.field_error(
    'reason_codes', lending_private.decision_reasons_error(new.outcome, new.reason_codes))]);
  return new;
end;
$$;
comment on function lending_private.check_decision_reasons() is
  'Trigger: a new decision''s reason codes follow lending_private.decision_reasons_error, whoever writes.';
