create or replace function lending_private.enforce_status_machine()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'INSERT' then
    if not exists (select from lending_private.application_status as s where s.status = new.status and s.is_initial) then
      perform lending_private.fail(
        'invalid_transition', format('A new application cannot start as %s', new.status),
        jsonb_build_object('requested_status', new.status,
                           'allowed', (select array_agg(s.status) from lending_private.application_status as s
                                        where s.is_initial)));
    end if;
  elsif new.status is distinct from old.status then
    perform lending_private.check_transition(old.application_id, old.status, new.status);
  end if;
  return new;
end;
$$;
comment on function lending_private.enforce_status_machine() is
  'Trigger: new applications start in the initial status; status changes must be listed in status_transition.';
