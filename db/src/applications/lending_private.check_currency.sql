create or replace function lending_private.check_currency()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  if not exists (select from lending_private.currency as c where c.code = new.currency) then
    perform lending_private.fail_if_invalid(array[
      lending_private.field_error('currency', lending_private.currency_error(new.currency))]);
  end if;
  return new;
end;
$$;
comment on function lending_private.check_currency() is 'Trigger: the row''s currency must be in lending_private.currency.';
