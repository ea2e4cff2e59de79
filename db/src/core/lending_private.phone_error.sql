create or replace function lending_private.phone_error(value text)
returns text
language plpgsql
immutable
strict
set search_path = pg_catalog, pg_temp
as $$
begin
  return case
    when value is null then null
    when value !~ '^\+?[0-9][0-9 ().-]{3,30}[0-9]$'
      or char_length(regexp_replace(value, '[^0-9]', '', 'g')) not between 5 and 15
      then 'must be a phone number of 5 to 15 digits, optionally starting with + (for example +1 555 010 0199)'
  end;
end;
$$;
comment on function lending_private.phone_error(text) is 'What is wrong with a phone number, or null.';
