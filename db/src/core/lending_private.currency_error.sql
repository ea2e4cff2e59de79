create or replace function lending_private.currency_error(code text)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when code is null then 'is required'
    when not exists (select from lending_private.currency as c where c.code = currency_error.code)
      then 'must be an ISO 4217 currency code in upper case, such as USD or EUR'
  end;
end;
$$;
comment on function lending_private.currency_error(text) is 'What is wrong with a currency code, or null.';
