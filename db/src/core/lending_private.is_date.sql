-- Whether text written YYYY-MM-DD names a real day (2026-02-30 does not). PostgreSQL 16's pg_input_is_valid would
-- say it without a subtransaction; PostgreSQL 15, which Lendgres supports, lacks it. The input is fixed to ISO form
-- before the cast, so that DateStyle cannot change what it reads.
create or replace function lending_private.is_date(value text)
returns boolean
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
as $$
begin
  if value !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
    return false;
  end if;
  perform value::date;
  return true;
exception
  when datetime_field_overflow or invalid_datetime_format then
    return false;
end;
$$;
comment on function lending_private.is_date(text) is 'Whether YYYY-MM-DD text names a real day.';
